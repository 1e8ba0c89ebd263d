import { safeLog } from './safe-log.js';
import type { HaloLogger } from '../types.js';

/** What one identity decision line says (never a token or a secret). */
export interface DecisionFields {
  /** The request's id (`X-Request-Id`). */
  requestId?: string;
  widgetKey: string;
  mode: string;
  /** `refused` (403 or 429) or `unverified` (let through under `monitor`). */
  decision: 'refused' | 'unverified';
  reason: string;
  userId: string | null;
  /** The refused `Origin`, for `origin_not_allowed`. */
  origin?: string;
}

/** The bounds of the decision log. Internal; the defaults are what `serve` runs with. */
export interface DecisionLogLimits {
  /** One line per project, user, decision and reason per this many ms. @default 60_000 */
  perKeyMs?: number;
  /** Lines in a burst across all keys. @default 50 */
  burst?: number;
  /** Lines per second across all keys once the burst is spent. @default 1 */
  perSecond?: number;
  /** Keys remembered; when full the memory is emptied (the global bucket still bounds the lines). @default 10_000 */
  maxKeys?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Logs identity decisions, bounded. */
export interface DecisionLog {
  log(fields: DecisionFields, message: string): void;
  /** Lines held back by the bounds since the process started. */
  suppressed(): number;
}

/**
 * The log of refused and unverified identified requests, bounded so a flood cannot fill the
 * disk: one line per (project, user, decision, reason) and `perKeyMs`, the next one saying how
 * many were held back meanwhile; and, across all keys (a flood of made-up user ids), a token
 * bucket. Lines held back by the bucket are summed into one `suppressed` line (at most one
 * per 10 s) when it refills. At most `burst + perSecond × s + s / 10` lines in `s` seconds.
 */
export function createDecisionLog(logger: HaloLogger, limits: DecisionLogLimits = {}, onSuppressed?: () => void): DecisionLog {
  const perKeyMs = limits.perKeyMs ?? 60_000;
  const burst = limits.burst ?? 50;
  const perSecond = limits.perSecond ?? 1;
  const maxKeys = limits.maxKeys ?? 10_000;
  const now = limits.now ?? Date.now;
  // key → when it was last logged and how many were held back since.
  const keys = new Map<string, { at: number; held: number }>();
  let tokens = burst;
  let refilledAt = now();
  let heldGlobally = 0;
  let summaryAt = -Infinity;
  let total = 0;

  const take = (): boolean => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - refilledAt) / 1000) * perSecond);
    refilledAt = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  const hold = (): void => {
    total++;
    onSuppressed?.();
  };

  return {
    log(fields, message) {
      const key = JSON.stringify([fields.widgetKey, fields.userId, fields.decision, fields.reason, fields.origin]);
      const t = now();
      const seen = keys.get(key);
      if (seen && t - seen.at < perKeyMs) {
        seen.held++;
        hold();
        return;
      }
      if (!take()) {
        heldGlobally++;
        hold();
        return;
      }
      // Said once the bucket has a token again, at most every 10 s: how many lines the flood cost.
      if (heldGlobally > 0 && t - summaryAt >= 10_000) {
        const count = heldGlobally;
        heldGlobally = 0;
        summaryAt = t;
        safeLog(logger, 'warn', () => [
          `[halo] ${count} identity decision line(s) held back by the log's rate limit (a flood of refused requests?)`,
          { suppressed: count },
        ]);
      }
      if (!seen && keys.size >= maxKeys) keys.clear();
      const held = seen?.held ?? 0;
      keys.set(key, { at: t, held: 0 });
      safeLog(logger, 'warn', () => [
        held > 0 ? `${message} (and ${held} more like it since the last line)` : message,
        { ...fields, held },
      ]);
    },
    suppressed: () => total,
  };
}
