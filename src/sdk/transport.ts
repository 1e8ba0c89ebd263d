import { HaloError, type HaloErrorCode } from '../errors.js';
import type { ServerClock } from './clock.js';

/** A call of the wire protocol (SPEC §5). */
export type SdkCall = 'identify' | 'chat' | 'history';

/** The outcome of one HTTP exchange with the Halo API. */
export type CallResult =
  | { ok: true; data: Record<string, unknown>; verified: boolean | null }
  | { ok: false; reason: string; verified: boolean | null };

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

function verifiedFrom(header: string | null): boolean | null {
  if (!header) return null;
  return header.trim().toLowerCase() === 'verified';
}

function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
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
): Promise<CallResult> {
  const controller = typeof AbortController === 'function' ? new AbortController() : null;
  const timer = controller ? setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS) : null;
  let response: Response;
  let payload: unknown;
  try {
    response = await fetchFn(`${apiBase}/api/sdk/${call}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      signal: controller?.signal,
    });
    clock.observe(response.headers.get('Date'));
    payload = await readJson(response);
  } catch (cause) {
    throw new HaloError('network_error', `${call}: network error`, { cause });
  } finally {
    if (timer) clearTimeout(timer);
  }

  if (response.ok) {
    if (typeof payload !== 'object' || payload === null) {
      throw new HaloError('server_error', `Unreadable ${call} answer.`, { status: response.status });
    }
    return { ok: true, data: payload as Record<string, unknown>, verified: verifiedFrom(response.headers.get('Halo-Identity')) };
  }

  const error = (payload as { error?: { code?: unknown; message?: unknown; reason?: unknown } } | null)?.error;
  const serverCode = typeof error?.code === 'string' ? error.code : '';
  const reason = typeof error?.reason === 'string' ? error.reason : undefined;
  if (response.status === 403 && serverCode === 'identity_verification_failed') {
    return { ok: false, reason: reason ?? 'token_invalid', verified: verifiedFrom(response.headers.get('Halo-Identity')) ?? false };
  }
  const code: HaloErrorCode =
    response.status === 403 ? 'origin_not_allowed' : (STATUS_CODES[response.status] ?? 'server_error');
  const serverMessage = typeof error?.message === 'string' ? error.message.slice(0, 300) : '';
  throw new HaloError(code, `${call}: HTTP ${response.status}${serverMessage ? ` ${serverMessage}` : ''}`, {
    status: response.status,
    reason,
    retryAfter: response.status === 429 ? retryAfterSeconds(response.headers.get('Retry-After')) : undefined,
  });
}
