/**
 * Token-bucket settings: `burst` requests at once, refilled at `perSecond`. As the API's
 * `rateLimit`, `burst`/`perSecond` are each verified user's budget, and `perAddress` the budget
 * of each client address for every request that does not end verified.
 */
export interface RateLimitConfig {
  /** Bucket size: how many requests may arrive at once. @default 30 */
  burst?: number;
  /** Sustained requests per second per key. @default 2 */
  perSecond?: number;
  /**
   * The API's budget per client address for unverified, anonymous and refused requests.
   * @default { burst: 300, perSecond: 10 } (a few hundred people behind one NAT), or `burst`/`perSecond` when those are set
   */
  perAddress?: { burst: number; perSecond: number };
  /**
   * Per-project budgets per client address, by widget key (`{ ab_live_…: { perAddress: … } }`),
   * for a project whose users sit behind larger or smaller NATs. @default none: `perAddress` for all
   */
  projects?: Record<string, { perAddress?: { burst: number; perSecond: number } }>;
  /**
   * Buckets kept at most per pool (the API keeps one pool per project and kind of key); the
   * least recently used are dropped first, so one project's traffic never evicts another's.
   * @default 10000
   */
  maxKeys?: number;
}

/** The answer for one request. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** A rate limiter keyed by `key` inside a `pool` (widget key + kind: client address or verified user). */
export interface RateLimiter {
  /** Spends one token of `key`'s bucket in `pool`, or says how long until there is one. */
  take(key: string, nowMs?: number, pool?: string): RateDecision;
  /** The decision {@link RateLimiter.take} would give, without spending anything. */
  check(key: string, nowMs?: number, pool?: string): RateDecision;
}

/** The limits the API applies when `rateLimit` is not set: on by default. */
export const DEFAULT_RATE_LIMIT: Required<Omit<RateLimitConfig, 'perAddress' | 'projects'>> = { burst: 30, perSecond: 2, maxKeys: 10_000 };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets in memory. Memory stays bounded: each pool holds at most `maxKeys` buckets
 * (a Map keeps insertion order, each use re-inserts, and past the cap the least recently
 * used goes), and the API's pools are one per configured project and kind of key.
 */
export function createRateLimiter(config: RateLimitConfig = {}): RateLimiter {
  const burst = config.burst ?? DEFAULT_RATE_LIMIT.burst;
  const perSecond = config.perSecond ?? DEFAULT_RATE_LIMIT.perSecond;
  const maxKeys = config.maxKeys ?? DEFAULT_RATE_LIMIT.maxKeys;
  if (!(burst >= 1) || !(perSecond > 0) || !(maxKeys >= 1)) {
    throw new TypeError('rateLimit: burst must be ≥ 1, perSecond > 0 and maxKeys ≥ 1.');
  }
  const pools = new Map<string, Map<string, Bucket>>();

  function refilled(buckets: Map<string, Bucket> | undefined, key: string, nowMs: number): number {
    const bucket = buckets?.get(key);
    return bucket ? Math.min(burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * perSecond) : burst;
  }

  const refuse = (tokens: number): RateDecision => ({ ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perSecond)) });

  return {
    check(key, nowMs = Date.now(), pool = '') {
      const tokens = refilled(pools.get(pool), key, nowMs);
      return tokens >= 1 ? { ok: true } : refuse(tokens);
    },
    take(key, nowMs = Date.now(), pool = '') {
      let buckets = pools.get(pool);
      if (!buckets) pools.set(pool, (buckets = new Map<string, Bucket>()));
      const tokens = refilled(buckets, key, nowMs);
      buckets.delete(key);
      const ok = tokens >= 1;
      buckets.set(key, { tokens: ok ? tokens - 1 : tokens, at: nowMs });
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string);
      return ok ? { ok: true } : refuse(tokens);
    },
  };
}
