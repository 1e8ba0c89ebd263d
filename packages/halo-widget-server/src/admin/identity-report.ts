import type { VerificationMode } from '../types.js';
import { IDENTITY_RESULTS, type IdentityResult, type IdentityRows } from './admin-store.js';

const HOUR = 3600_000;
const EXAMPLES = 5;

/** The report's windows, in hours. */
export const REPORT_WINDOWS = { '1h': 1, '24h': 24, '7d': 168 } as const;
/** A window's name. */
export type ReportWindow = keyof typeof REPORT_WINDOWS;

/** The results enforce refuses: an identified request without a valid token for its user. */
export const REJECTED_UNDER_ENFORCE: readonly IdentityResult[] = ['token_missing', 'token_expired', 'token_invalid', 'user_mismatch'];

/** One result's line of a window. */
export interface ResultLine {
  requests: number;
  /** Distinct user ids (none for `anonymous`). `usersCapped`: at least this many. */
  users: number;
  usersCapped: boolean;
  /** A few of those user ids. */
  examples: string[];
}

/** What {@link buildIdentityReport} says about one window. */
export interface WindowReport {
  /** Start of the oldest hour bucket counted (ISO): a window of N hours covers N to N+1 hours. */
  from: string;
  results: Record<IdentityResult, ResultLine>;
  /** Requests that sent a `user_id` (all but anonymous). */
  identifiedRequests: number;
  /** Identified requests enforce would refuse. */
  wouldReject: number;
  /** `wouldReject / identifiedRequests`, 0 to 1 (0 without identified requests). */
  rejectShare: number;
  /** Requests per SDK version (`unknown`: the client sent no version). */
  sdkVersions: Record<string, number>;
  verdict: { safe: boolean; blocking: IdentityResult | null; text: string };
}

/** The rollout report of one project. */
export interface IdentityReport {
  widgetKey: string;
  mode: VerificationMode;
  generatedAt: string;
  windows: Record<ReportWindow, WindowReport>;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What an operator does about users refused for `reason`. */
const FIX: Record<string, (who: string, send: string) => string> = {
  token_missing: (u, send) => `${u} ${send} no token: pass getUserToken (or userToken) wherever the page calls identify with a user id`,
  token_expired: (u, send) => `${u} ${send} expired tokens: wire getUserToken so the SDK fetches a fresh token before the old one expires`,
  token_invalid: (u, send) =>
    `${u} ${send} invalid tokens: sign them with an active identity secret (HS256) and keep a secret until no backend uses it`,
  user_mismatch: (u, send) => `${u} ${send} a token for another user: sign the token with the same user_id the page passes to identify`,
};

function verdictOf(mode: VerificationMode, results: Record<IdentityResult, ResultLine>, identified: number): WindowReport['verdict'] {
  const blocking = REJECTED_UNDER_ENFORCE.filter((r) => results[r].requests > 0).sort(
    (a, b) => results[b].users - results[a].users || results[b].requests - results[a].requests,
  )[0];
  if (blocking) {
    const line = results[blocking];
    const count = line.users || line.requests;
    const who = line.users ? `${line.usersCapped ? 'at least ' : ''}${plural(line.users, 'user')}` : plural(line.requests, 'request');
    return { safe: false, blocking, text: `Not safe to enforce: ${FIX[blocking]!(who, count === 1 ? 'sends' : 'send')}.` };
  }
  if (results.verification_off.requests > 0 && results.verified.requests === 0) {
    return {
      safe: false,
      blocking: 'verification_off',
      text: 'Not measured: verification is off. Set the mode to monitor to see what enforce would refuse.',
    };
  }
  if (identified === 0) {
    return {
      safe: false,
      blocking: null,
      text: 'No identified requests in this window yet: leave monitor on until real users have chatted.',
    };
  }
  return {
    safe: true,
    blocking: null,
    text: mode === 'enforce' ? 'Safe to enforce (enforce is on).' : 'Safe to enforce: no identified user would have been refused.',
  };
}

/**
 * Builds the rollout report from stored hour buckets (pure: the rows and the time in, the
 * report out). Distinct users are counted over the window's buckets; a bucket keeps at most
 * a bounded number of ids per result, so a capped count reads "at least".
 */
export function buildIdentityReport(
  widgetKey: string,
  mode: VerificationMode,
  rows: IdentityRows,
  now: number,
  capPerBucket: number,
): IdentityReport {
  const currentHour = now - (now % HOUR);
  const windows = {} as Record<ReportWindow, WindowReport>;
  for (const [name, hours] of Object.entries(REPORT_WINDOWS) as [ReportWindow, number][]) {
    const since = currentHour - hours * HOUR;
    const results = {} as Record<IdentityResult, ResultLine>;
    const users = new Map<IdentityResult, Set<string>>();
    const perBucket = new Map<string, number>();
    for (const result of IDENTITY_RESULTS) {
      results[result] = { requests: 0, users: 0, usersCapped: false, examples: [] };
      users.set(result, new Set());
    }
    for (const row of rows.counts) if (row.hour >= since && results[row.result]) results[row.result].requests += row.count;
    for (const row of rows.users) {
      if (row.hour < since || !users.has(row.result)) continue;
      users.get(row.result)!.add(row.userId);
      const key = `${row.hour} ${row.result}`;
      perBucket.set(key, (perBucket.get(key) ?? 0) + 1);
      if (perBucket.get(key)! >= capPerBucket) results[row.result].usersCapped = true;
    }
    for (const [result, set] of users) {
      results[result].users = set.size;
      results[result].examples = [...set].sort().slice(0, EXAMPLES);
    }
    const sdkVersions: Record<string, number> = {};
    for (const row of rows.versions) if (row.hour >= since) sdkVersions[row.version] = (sdkVersions[row.version] ?? 0) + row.count;
    const identified = IDENTITY_RESULTS.filter((r) => r !== 'anonymous').reduce((sum, r) => sum + results[r].requests, 0);
    const wouldReject = REJECTED_UNDER_ENFORCE.reduce((sum, r) => sum + results[r].requests, 0);
    windows[name] = {
      from: new Date(since).toISOString(),
      results,
      identifiedRequests: identified,
      wouldReject,
      rejectShare: identified ? wouldReject / identified : 0,
      sdkVersions,
      verdict: verdictOf(mode, results, identified),
    };
  }
  return { widgetKey, mode, generatedAt: new Date(now).toISOString(), windows };
}
