import type { HaloError } from '../errors.js';

/** How transient failures are retried. */
export interface RetryPolicy {
  /** Attempts per call, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** A `Retry-After` longer than this is not waited for: the call fails with `rate_limited`. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Whether a failure is worth another attempt: network, 429, 502–504; never other 4xx, nor identity. */
export function isRetryable(error: HaloError): boolean {
  const { code, status } = error;
  return code === 'network_error' || code === 'rate_limited' || (code === 'server_error' && status! > 501 && status! < 505);
}

/**
 * Milliseconds to wait before attempt `attempt + 1`, or `null` to give up: capped
 * exponential backoff with jitter (so a fleet of clients does not retry in lockstep),
 * or the server's `Retry-After` on a 429.
 */
export function deliveryDelay(error: HaloError, attempt: number, policy: RetryPolicy): number | null {
  if (attempt >= policy.attempts || !isRetryable(error)) return null;
  if (error.code === 'rate_limited' && error.retryAfter !== undefined) {
    const ms = error.retryAfter * 1000;
    return ms > MAX_RETRY_AFTER_MS ? null : ms;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return ceiling * (0.5 + Math.random() / 2);
}

/** While a browser is offline, the next `online` event; nothing to wait for otherwise. */
export function waitForNetwork(): Promise<void> | void {
  if (globalThis.navigator?.onLine === false && typeof window !== 'undefined') {
    return new Promise((resolve) => window.addEventListener('online', () => resolve(), { once: true }));
  }
}
