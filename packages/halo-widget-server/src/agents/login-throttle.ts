/** Options of {@link createLoginThrottle}. */
export interface LoginThrottleOptions {
  /** Failed logins allowed per address and per account within `windowMs`; the next attempts answer 429. @default 10 */
  maxFailures?: number;
  /** @default 15 minutes */
  windowMs?: number;
  /** Addresses and accounts tracked at most; the least recently failed are forgotten first. @default 10000 */
  maxKeys?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Failed logins counted per client address and per account (email), in memory. */
export interface LoginThrottle {
  /** Seconds to wait when either the address or the account has used up its failures; 0 when a try is allowed. */
  retryAfter(address: string, email: string): number;
  failed(address: string, email: string): void;
  /** A correct password clears the account's count (not the address's: one good account must not unlock guessing others). */
  succeeded(email: string): void;
}

/**
 * The login throttle: counted before the password is hashed, so a guesser pays nothing but
 * also gets nothing. Per process: each instance counts its own, which multiplies an attacker's
 * budget by the number of instances at most (docs/decisions/0831-agent-login-throttle.md).
 */
export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const max = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  // key → failure times within the window, oldest first (at most `max` kept).
  const failures = new Map<string, number[]>();
  const recent = (key: string, at: number) => (failures.get(key) ?? []).filter((t) => at - t < windowMs);
  const wait = (key: string, at: number) => {
    const times = recent(key, at);
    return times.length >= max ? Math.max(1, Math.ceil((times[0]! + windowMs - at) / 1000)) : 0;
  };
  const add = (key: string, at: number) => {
    const times = recent(key, at);
    times.push(at);
    failures.delete(key);
    failures.set(key, times.slice(-max));
    if (failures.size > maxKeys) failures.delete(failures.keys().next().value!);
  };
  return {
    retryAfter: (address, email) => Math.max(wait(`a:${address}`, now()), wait(`e:${email}`, now())),
    failed: (address, email) => {
      add(`a:${address}`, now());
      add(`e:${email}`, now());
    },
    succeeded: (email) => {
      failures.delete(`e:${email}`);
    },
  };
}
