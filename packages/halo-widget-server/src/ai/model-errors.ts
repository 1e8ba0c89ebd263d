// How the model client reads a failure: which errors are worth another attempt, how long the
// server asked to wait, and error text with the API key cut out (model-client.ts retries).
import { APIError } from 'openai';
import { AiError, isAiError } from './ai-error.js';

const TRANSIENT_STATUS = new Set([408, 409, 429]);

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AiError('aborted', 'The reply was cancelled.'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Milliseconds from a `Retry-After` (seconds or a date) or OpenAI's `retry-after-ms`. */
export function retryAfterOf(headers: Headers | undefined, now: number): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms >= 0 && headers?.has('retry-after-ms')) return ms;
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Upstream error text without the key: OpenAI's 401 quotes part of a wrong key, and a proxy
 * may echo a header. The key and anything shaped like one are cut out.
 */
export function scrub(message: string, apiKey: string): string {
  let out = message;
  if (apiKey) out = out.split(apiKey).join('[redacted]');
  out = out.replace(/\b(?:sk|rk|pk|key)[-_][\w*.-]{6,}/gi, '[redacted]').replace(/Bearer\s+\S+/gi, 'Bearer [redacted]');
  return out.length > 200 ? `${out.slice(0, 200)}…` : out;
}

export interface AttemptState {
  /** Why this side aborted the request, if it did. */
  aborted: 'timeout' | 'caller' | null;
  emitted: boolean;
  timeoutMs: number;
}

export function classify(error: unknown, state: AttemptState, apiKey: string, now: number): AiError {
  if (isAiError(error)) return error;
  if (state.aborted === 'caller') return new AiError('aborted', 'The reply was cancelled.');
  if (state.aborted === 'timeout') {
    return state.emitted
      ? new AiError('stream_cut', `The model sent nothing for ${state.timeoutMs} ms in the middle of a reply.`, { partial: true })
      : new AiError('model_timeout', `The model sent no first token within ${state.timeoutMs} ms.`, { transient: true });
  }
  const detail = scrub(error instanceof Error ? error.message : String(error), apiKey);
  if (state.emitted) return new AiError('stream_cut', `The model's stream broke off mid-reply: ${detail}`, { partial: true });
  if (error instanceof APIError) {
    // `instanceof` on the generic class gives `any` type arguments; the defaults are what holds.
    const status: number | undefined = (error as APIError).status;
    const headers: Headers | undefined = (error as APIError).headers;
    // No status: the connection failed (APIConnectionError) or an error event came in the stream.
    if (status === undefined)
      return new AiError('model_error', `The model could not be reached or broke off: ${detail}`, { transient: true });
    if (status === 429) {
      return new AiError('rate_limited', `The model answered 429: ${detail}`, {
        status,
        transient: true,
        retryAfterMs: retryAfterOf(headers, now),
      });
    }
    if (status >= 500 || TRANSIENT_STATUS.has(status)) {
      return new AiError('model_error', `The model answered ${status}: ${detail}`, {
        status,
        transient: true,
        retryAfterMs: status === 503 ? retryAfterOf(headers, now) : undefined,
      });
    }
    return new AiError('model_refused', `The model refused the request (${status}): ${detail}`, { status });
  }
  // Not the package's error: the body broke off (undici's "terminated"), or the SSE was malformed.
  return new AiError('model_error', `The model could not be reached or broke off: ${detail}`, { transient: true });
}
