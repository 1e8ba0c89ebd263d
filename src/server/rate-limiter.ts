/** Token-bucket settings: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimitConfig {
  /** Bucket size: how many requests may arrive at once. @default 30 */
  burst?: number;
  /** Sustained requests per second per key. @default 2 */
  perSecond?: number;
  /** Buckets kept at most; the least recently used are dropped first. @default 10000 */
  maxKeys?: number;
}

/** The answer for one request. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** A rate limiter keyed by widget key + user (or IP for anonymous visitors). */
export interface RateLimiter {
  take(key: string, nowMs?: number): RateDecision;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets in memory. Memory stays bounded: a full bucket carries no state worth
 * keeping, and past `maxKeys` the least recently used bucket goes (a Map keeps insertion
 * order, and each use re-inserts).
 */
export function createRateLimiter(config: RateLimitConfig = {}): RateLimiter {
  const burst = config.burst ?? 30;
  const perSecond = config.perSecond ?? 2;
  const maxKeys = config.maxKeys ?? 10_000;
  if (!(burst >= 1) || !(perSecond > 0) || !(maxKeys >= 1)) {
    throw new TypeError('rateLimit: burst must be ≥ 1, perSecond > 0 and maxKeys ≥ 1.');
  }
  const buckets = new Map<string, Bucket>();
  return {
    take(key, nowMs = Date.now()) {
      const bucket = buckets.get(key) ?? { tokens: burst, at: nowMs };
      buckets.delete(key);
      bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * perSecond);
      bucket.at = nowMs;
      let decision: RateDecision;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        decision = { ok: true };
      } else {
        decision = { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
      }
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string);
      return decision;
    },
  };
}
