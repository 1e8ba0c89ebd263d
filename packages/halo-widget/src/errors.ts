import { DEV } from './dev.js';
import type { CancelledReason, IdentityExpiredReason } from './types.js';

/**
 * Every code a {@link HaloError} can carry ("Browser API" section of docs/protocol.md).
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
  | 'cancelled'
  | 'origin_not_allowed'
  | 'not_found'
  | 'network_error'
  | 'rate_limited'
  | 'server_error'
  | 'shutdown';

/** What a {@link HaloError} may carry besides its code and message. */
export interface HaloErrorDetails {
  cause?: unknown;
  status?: number | undefined;
  reason?: IdentityExpiredReason | CancelledReason | undefined;
  retryAfter?: number | undefined;
}

/**
 * The one error type of the SDK. Switch on `code`, not on `message`: the production build
 * keeps messages short, the development build explains.
 */
export class HaloError extends Error {
  override readonly name = 'HaloError';
  readonly code: HaloErrorCode;
  /** HTTP status of the response that caused it, when there was one. */
  readonly status?: number;
  /**
   * The server's 403 reason (`token_expired`, …) or `token_refresh_failed`, when there was one;
   * for `cancelled`, whether an attempt may have been stored (`not_sent` | `maybe_stored`).
   */
  readonly reason?: IdentityExpiredReason | CancelledReason;
  /** Seconds to wait before trying again (from `Retry-After` on a 429). */
  readonly retryAfter?: number;

  constructor(code: HaloErrorCode, message: string, options: HaloErrorDetails = {}) {
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

// Every constructor below takes its human text as `DEV && …`, so the production build
// keeps only the code (and the short detail after it), not the sentence.
function halo(code: HaloErrorCode, text: string | false, detail = '', details?: HaloErrorDetails): HaloError {
  return new HaloError(code, (DEV && text) || (detail ? `${code}: ${detail}` : code), details);
}

/** The client was shut down; a call cut short by it rejects with this and is not reported. */
export const shutdownError = (): HaloError => halo('shutdown', DEV && 'Client is shut down; create a new one.');

/** Another user was identified before the call completed (user-switch-discards). */
export const identityChanged = (): HaloError => halo('identity_changed', DEV && 'User changed before the call completed.');

/** The expired episode: the app must sign the user in again (retry-once-on-403). */
export const identityExpired = (reason: IdentityExpiredReason, cause?: unknown): HaloError =>
  halo('identity_expired', DEV && `Identity not verified (${reason}); sign the user in again.`, reason, { reason, cause });

/** A bad option or a bad argument to a public method; names the option or argument. */
export const invalidOption = (option: string, expected: string | false): HaloError =>
  halo('invalid_options', DEV && `Invalid option \`${option}\`: expected ${expected}.`, `\`${option}\``);

/** A value holding an identity secret (no-secrets-in-browser); never repeats the value. */
export const secretExposed = (where: string): HaloError =>
  halo(
    'secret_exposed',
    DEV && `${where} holds an identity secret (ha_secret_…): keep it on your backend and pass a signed userToken.`,
    where,
  );

/** A token that is not a JWT, or one already past `exp` (accept-until-exp). */
export const invalidUserToken = (from: string, why: string | false): HaloError =>
  halo('invalid_user_token', DEV && `${from}: ${why}.`, from);

/** A token whose user_id is not the current user's (token-matches-user). */
export const tokenUserMismatch = (from: string): HaloError =>
  halo('token_user_mismatch', DEV && `${from}: token for another user_id.`, from);

/** getUserToken failed, timed out or returned an unusable token (refresh-failure-keeps-messages). */
export const tokenRefreshFailed = (why: string | false, cause?: unknown): HaloError =>
  halo('token_refresh_failed', DEV && (why || 'getUserToken failed.'), '', { cause });

/** An answer the SDK cannot read, or an unexpected failure inside the SDK. */
export const serverError = (what: string | false, details?: HaloErrorDetails): HaloError => halo('server_error', DEV && what, '', details);

/** The request never got an answer (offline, DNS, timeout). */
export const networkError = (what: string, cause?: unknown): HaloError =>
  halo('network_error', DEV && `${what}: network error.`, what, { cause });

/** An HTTP error answer of the API, mapped to its code. */
export const httpError = (code: HaloErrorCode, call: string, status: number, message: string, details: HaloErrorDetails): HaloError =>
  halo(code, DEV && `${call}: HTTP ${status} ${message}`.trim(), `${call} ${status}`, { status, ...details });

/** A state the method cannot run in (the facade before `Halo.init`, a visitor the server refused). */
export const invalidRequest = (what: string | false, details?: HaloErrorDetails): HaloError =>
  halo('invalid_request', DEV && what, '', details);

/**
 * The app called `cancel(clientMessageId)` (delivered-exactly-once). `reason` says what the
 * server may hold: `not_sent` — no attempt ever left, nothing is stored; `maybe_stored` — an
 * earlier attempt reached the network and its answer was lost, so it may be stored (re-send
 * with the same `clientMessageId` to find out: the server stores an id once).
 */
export const cancelled = (reason: CancelledReason): HaloError =>
  halo('cancelled', DEV && `Message cancelled (${reason}).`, reason, { reason });

/** nothing-lost has a cap: while expired, at most `max` messages wait. */
export const queueFull = (max: number): HaloError =>
  halo('identity_expired', DEV && `Identity expired; ${max} messages already wait.`, 'queue full');
