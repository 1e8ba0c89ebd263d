import type { IdentityExpiredReason } from './types.js';

/**
 * Every code a {@link HaloError} can carry (SPEC §3).
 */
export type HaloErrorCode =
  | 'secret_exposed'
  | 'invalid_options'
  | 'invalid_request'
  | 'invalid_widget_key'
  | 'invalid_user_token'
  | 'token_user_mismatch'
  | 'token_refresh_failed'
  | 'identity_expired'
  | 'identity_changed'
  | 'origin_not_allowed'
  | 'not_found'
  | 'network_error'
  | 'rate_limited'
  | 'server_error'
  | 'shutdown';

/**
 * The one error type of the SDK. Switch on `code`, not on `message`.
 */
export class HaloError extends Error {
  override readonly name = 'HaloError';
  readonly code: HaloErrorCode;
  /** HTTP status of the response that caused it, when there was one. */
  readonly status?: number;
  /** The server's 403 reason (`token_expired`, …), or `token_refresh_failed`, when there was one. */
  readonly reason?: IdentityExpiredReason;
  /** Seconds to wait before trying again (from `Retry-After` on a 429). */
  readonly retryAfter?: number;

  constructor(
    code: HaloErrorCode,
    message: string,
    options: { cause?: unknown; status?: number | undefined; reason?: IdentityExpiredReason | undefined; retryAfter?: number | undefined } = {},
  ) {
    // Error's own `cause` handling: set only when `options` has one.
    super(message, options);
    this.code = code;
    this.status = options.status;
    this.reason = options.reason;
    this.retryAfter = options.retryAfter;
  }
}

/**
 * True for a {@link HaloError}, including one from another realm (an iframe, a second
 * copy of the SDK) where `instanceof` would fail.
 */
export function isHaloError(value: unknown): value is HaloError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'HaloError' &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}
