import type { HaloError } from '../errors.js';

/** How transient failures of `identify` and `history` are retried (not messages: see the outbox). */
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
 * never shorter than the server's `Retry-After`.
 */
export function deliveryDelay(error: HaloError, attempt: number, policy: RetryPolicy): number | null {
  if (attempt >= policy.attempts || !isRetryable(error)) return null;
  const ms = (error.retryAfter ?? 0) * 1000;
  if (ms > MAX_RETRY_AFTER_MS) return null;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // Retry-After is a floor on the backoff, never the whole delay (a `0` must not mean "at once").
  return Math.max(ms, ceiling * (0.5 + Math.random() / 2));
}

/** First ceiling of a message's backoff (delivered-exactly-once). */
export const MESSAGE_BASE_DELAY_MS = 1000;
/** Longest wait between two tries of a message (delivered-exactly-once). */
export const MESSAGE_MAX_DELAY_MS = 30_000;

/**
 * Whether a message that failed this way may still be stored by trying again
 * (delivered-exactly-once): network errors and timeouts, 401, 408, 429, every 5xx, and a
 * failed refresh. Everything else — a bad request, 403 origin_not_allowed, 404 — stays wrong.
 */
export function isTransient(error: HaloError): boolean {
  const { code, status } = error;
  return (
    code === 'network_error' ||
    code === 'rate_limited' ||
    code === 'token_refresh_failed' ||
    status === 401 ||
    status === 408 ||
    status! >= 500
  );
}

/**
 * Milliseconds before the next try of a message (or a channel reconnect) that failed
 * `failures` times in a row: capped exponential backoff with full jitter — uniform in
 * [0, min(30 s, 1 s · 2^(failures−1))) — so that clients that failed together do not come
 * back together. The server's `Retry-After` is a floor on it, never the whole delay: a
 * server answering `Retry-After: 0` every time would otherwise be retried in a tight loop.
 */
export function messageDelay(error: HaloError, failures: number, random: () => number = Math.random): number {
  return Math.max((error.retryAfter ?? 0) * 1000, random() * Math.min(MESSAGE_MAX_DELAY_MS, MESSAGE_BASE_DELAY_MS * 2 ** (failures - 1)));
}

/** `navigator.onLine` is false in a browser: a try now would fail anyway. */
export const isOffline = (): boolean => typeof window !== 'undefined' && globalThis.navigator?.onLine === false;

/** While a browser is offline, the next `online` event; nothing to wait for otherwise. */
export function waitForNetwork(): Promise<void> | void {
  if (isOffline()) {
    return new Promise((resolve) => window.addEventListener('online', () => resolve(), { once: true }));
  }
}
