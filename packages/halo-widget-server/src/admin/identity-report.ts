import type { VerificationMode } from '../types.js';
import { IDENTITY_RESULTS, type IdentityResult, type IdentityRows } from './admin-store.js';
import { BUCKET_MS } from './identity-counter.js';

const HOUR = 3600_000;
const EXAMPLES = 5;

/** The report's windows, in hours. */
export const REPORT_WINDOWS = { '1h': 1, '24h': 24, '7d': 168 } as const;
/** A window's name. */
export type ReportWindow = keyof typeof REPORT_WINDOWS;

/** The results enforce refuses: an identified request without a valid token for its user. */
export const REJECTED_UNDER_ENFORCE: readonly IdentityResult[] = ['token_missing', 'token_expired', 'token_invalid', 'user_mismatch'];

/**
 * Results anyone on the internet can produce for any user id (a made-up or re-used token): once
 * the project's backend demonstrably signs valid tokens, these from users who never presented
 * one are likely attacks — enforce refusing them is the point, not a reason to wait.
 */
const FORGEABLE: readonly IdentityResult[] = ['token_invalid', 'user_mismatch'];

/** One result's line of a window. */
export interface ResultLine {
  requests: number;
  /** Distinct user ids (none for `anonymous`). `usersCapped`: at least this many. */
  users: number;
  usersCapped: boolean;
  /** A few of those user ids. */
  examples: string[];
  /** Start of the latest 5-minute bucket with this result (ISO), or null. */
  lastSeen: string | null;
}

/** Forged-looking tokens: invalid or for another user, from users who never presented a valid one. */
export interface LikelyAttacks {
  /** Distinct user ids named with such tokens. */
  users: number;
  examples: string[];
}

/** What {@link buildIdentityReport} says about one window. */
export interface WindowReport {
  /** Start of the oldest 5-minute bucket counted (ISO): a window of N hours rolls, covering N hours to N hours and 5 minutes. */
  from: string;
  results: Record<IdentityResult, ResultLine>;
  /** Requests that sent a `user_id` and were judged (not anonymous, not made while verification was off). */
  identifiedRequests: number;
  /** Reported apart, and not blocking the verdict while other users verify. */
  likelyAttacks: LikelyAttacks;
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

/** The users of `result` who never presented a valid token in the window. */
function neverVerified(users: Map<IdentityResult, Set<string>>, result: IdentityResult): string[] {
  const verified = users.get('verified')!;
  return [...users.get(result)!].filter((id) => !verified.has(id));
}

/**
 * The verdict rests on users who never presented a valid token: a user who verified at some
 * point and had one expired token is a refresh the SDK retries, not a user enforce locks out.
 * Forgeable results count only while no user verifies (then the secret itself is wrong).
 */
function verdictOf(
  mode: VerificationMode,
  results: Record<IdentityResult, ResultLine>,
  users: Map<IdentityResult, Set<string>>,
  identified: number,
  attacks: LikelyAttacks,
): WindowReport['verdict'] {
  const anyVerified = results.verified.requests > 0;
  const locked = (r: IdentityResult) => (anyVerified && FORGEABLE.includes(r) ? 0 : neverVerified(users, r).length);
  const blocking = REJECTED_UNDER_ENFORCE.filter((r) => results[r].requests > 0 && (locked(r) > 0 || results[r].users === 0)).sort(
    (a, b) => locked(b) - locked(a) || results[b].requests - results[a].requests,
  )[0];
  if (blocking) {
    const count = locked(blocking);
    const capped = results[blocking].usersCapped ? 'at least ' : '';
    const who = count ? `${capped}${plural(count, 'user')}` : plural(results[blocking].requests, 'request');
    return {
      safe: false,
      blocking,
      text: `Not safe to enforce: ${FIX[blocking]!(who, (count || results[blocking].requests) === 1 ? 'sends' : 'send')}.`,
    };
  }
  if (results.verification_off.requests > 0 && identified === 0) {
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
  const forged = attacks.users
    ? ` (${plural(attacks.users, 'user id')} came with forged-looking tokens: likely attacks, which enforce refuses)`
    : '';
  return {
    safe: true,
    blocking: null,
    text:
      mode === 'enforce'
        ? `Safe to enforce (enforce is on)${forged}.`
        : `Safe to enforce: every identified user presented a valid token${forged}.`,
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
  const windows = {} as Record<ReportWindow, WindowReport>;
  for (const [name, hours] of Object.entries(REPORT_WINDOWS) as [ReportWindow, number][]) {
    // Rolling: every bucket that overlaps the last N hours.
    const cut = now - hours * HOUR;
    const since = cut - (cut % BUCKET_MS);
    const results = {} as Record<IdentityResult, ResultLine>;
    const users = new Map<IdentityResult, Set<string>>();
    const perBucket = new Map<string, number>();
    for (const result of IDENTITY_RESULTS) {
      results[result] = { requests: 0, users: 0, usersCapped: false, examples: [], lastSeen: null };
      users.set(result, new Set());
    }
    const last = new Map<IdentityResult, number>();
    for (const row of rows.counts) {
      if (row.hour < since || !results[row.result]) continue;
      results[row.result].requests += row.count;
      if (row.count > 0 && row.hour > (last.get(row.result) ?? -1)) last.set(row.result, row.hour);
    }
    for (const [result, at] of last) results[result].lastSeen = new Date(at).toISOString();
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
    // Requests made while verification was off were never judged: not identified traffic.
    const identified = IDENTITY_RESULTS.filter((r) => r !== 'anonymous' && r !== 'verification_off').reduce(
      (sum, r) => sum + results[r].requests,
      0,
    );
    const wouldReject = REJECTED_UNDER_ENFORCE.reduce((sum, r) => sum + results[r].requests, 0);
    const forgedBy = results.verified.requests > 0 ? [...new Set(FORGEABLE.flatMap((r) => neverVerified(users, r)))].sort() : [];
    const likelyAttacks = { users: forgedBy.length, examples: forgedBy.slice(0, EXAMPLES) };
    windows[name] = {
      from: new Date(since).toISOString(),
      results,
      identifiedRequests: identified,
      likelyAttacks,
      wouldReject,
      rejectShare: identified ? wouldReject / identified : 0,
      sdkVersions,
      verdict: verdictOf(mode, results, users, identified, likelyAttacks),
    };
  }
  return { widgetKey, mode, generatedAt: new Date(now).toISOString(), windows };
}
