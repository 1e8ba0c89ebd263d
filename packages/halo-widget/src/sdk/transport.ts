import { httpError, networkError, serverError, type HaloErrorCode } from '../errors.js';
import { DEV } from '../dev.js';
import type { TokenRejectionReason } from '../types.js';
import type { ServerClock } from './clock.js';

/** A call of the wire protocol ("Wire protocol" section of docs/protocol.md). */
export type SdkCall = 'identify' | 'chat' | 'history';

/** The outcome of one HTTP exchange with the Halo API. */
export type CallResult =
  | { ok: true; data: Record<string, unknown>; verified: boolean | null }
  | { ok: false; reason: TokenRejectionReason; verified: boolean | null };

const REASONS: unknown[] = ['token_missing', 'token_expired', 'token_invalid', 'user_mismatch'] satisfies TokenRejectionReason[];

/** Aborts a request the server is too slow to answer. */
export const REQUEST_TIMEOUT_MS = 20_000;

const STATUS_CODES: Record<number, HaloErrorCode> = {
  400: 'invalid_request',
  401: 'invalid_widget_key',
  404: 'not_found',
  405: 'invalid_request',
  413: 'invalid_request',
  415: 'invalid_request',
  429: 'rate_limited',
};

const verifiedFrom = (header: string | null): boolean | null => (header ? header.trim().toLowerCase() === 'verified' : null);

function retryAfterSeconds(header: string | null): number | undefined {
  const seconds = header ? Number(header) : NaN;
  if (seconds >= 0) return seconds;
  const at = Date.parse(header!);
  return at ? Math.max(0, (at - Date.now()) / 1000) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // A proxy's HTML error page: the status code still tells what happened.
    void error;
    return null;
  }
}

/**
 * Posts one call and maps the answer: 2xx → data, 403 identity_verification_failed → the
 * reason (the token layer decides what to do), everything else → a {@link HaloError}.
 * Network failures and timeouts are `network_error`, never an identity problem.
 */
export async function postCall(
  fetchFn: typeof fetch,
  apiBase: string,
  call: SdkCall,
  body: Record<string, unknown>,
  clock: ServerClock,
  controller: AbortController,
): Promise<CallResult> {
  // Aborted on timeout here, or by the session that owns `controller` when it ends.
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  let response: Response;
  let text: string;
  try {
    response = await fetchFn(`${apiBase}/api/sdk/${call}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      signal: controller.signal,
    });
    clock.observe(response.headers.get('Date'));
    text = await response.text();
  } catch (cause) {
    throw networkError(call, cause);
  } finally {
    clearTimeout(timer);
  }
  const { status } = response;
  const payload = (text && parseJson(text)) as { error?: { code?: unknown; message?: unknown; reason?: unknown } } | null;
  const verified = verifiedFrom(response.headers.get('Halo-Identity'));
  if (response.ok) {
    if (typeof payload !== 'object' || !payload) throw serverError(DEV && `Unreadable ${call} answer.`, { status });
    return { ok: true, data: payload, verified };
  }
  const error = payload?.error;
  // Only the protocol's reasons: the type promises the app a closed union.
  const reason = REASONS.includes(error?.reason) ? (error!.reason as TokenRejectionReason) : undefined;
  if (status === 403 && error?.code === 'identity_verification_failed') {
    return { ok: false, reason: reason ?? 'token_invalid', verified: verified ?? false };
  }
  const message = DEV && typeof error?.message === 'string' ? error.message.slice(0, 300) : '';
  throw httpError(status === 403 ? 'origin_not_allowed' : (STATUS_CODES[status] ?? 'server_error'), call, status, message, {
    reason,
    retryAfter: status === 429 || status === 503 ? retryAfterSeconds(response.headers.get('Retry-After')) : undefined,
  });
}
