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
const RETRYABLE_STATUS = new Set([502, 503, 504]);

/** Whether a failure is worth another attempt: never for other 4xx, nor identity. */
export function isRetryable(error: HaloError): boolean {
  if (error.code === 'network_error' || error.code === 'rate_limited') return true;
  return error.code === 'server_error' && error.status !== undefined && RETRYABLE_STATUS.has(error.status);
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

/** Resolves at once when online (or outside a browser), else on the next `online` event. */
export function waitForNetwork(): Promise<void> {
  if (typeof navigator === 'undefined' || navigator.onLine !== false || typeof window === 'undefined') {
    return Promise.resolve();
  }
  return new Promise((resolve) => window.addEventListener('online', () => resolve(), { once: true }));
}
