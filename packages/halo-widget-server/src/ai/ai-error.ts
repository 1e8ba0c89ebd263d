/**
 * Every code an {@link AiError} can carry.
 *
 * - `invalid_ai_config`: the `ai` section of a config is wrong (the message names the field).
 * - `ai_key_missing`: the environment variable named by `ai.apiKeyEnv` is unset or empty.
 * - `model_error`: the model answered 5xx, the network failed, or the answer was unusable.
 * - `model_timeout`: no first token (or no next chunk) within `ai.timeoutMs`.
 * - `model_refused`: the model refused the request (4xx other than 408/429, a refusal, a content filter).
 * - `rate_limited`: the model answered 429, or this project spent its `ai.callsPerMinute`.
 * - `circuit_open`: the model failed too often in a row and is resting.
 * - `stream_cut`: the stream ended early after text reached the user; the partial text is to be replaced.
 * - `aborted`: the caller cancelled the reply (shutdown).
 */
export type AiErrorCode =
  | 'invalid_ai_config'
  | 'ai_key_missing'
  | 'model_error'
  | 'model_timeout'
  | 'model_refused'
  | 'rate_limited'
  | 'circuit_open'
  | 'stream_cut'
  | 'aborted';

/** What an {@link AiError} may carry besides its code and message. */
export interface AiErrorDetails {
  /** HTTP status of the model's answer, when there was one. */
  status?: number | undefined;
  /** Whether another attempt may succeed (network, 5xx, 429, a timeout before the first token). */
  transient?: boolean | undefined;
  /** Milliseconds the model asked us to wait (`Retry-After` of a 429/503). */
  retryAfterMs?: number | undefined;
  /** Whether text of this attempt already reached the user (then it is never retried, only replaced). */
  partial?: boolean | undefined;
}

/**
 * The one error type of the AI responder. Its message never holds the API key: upstream
 * error text is scrubbed before it is quoted, and no upstream error object is kept as `cause`
 * (an SDK error can quote the key back, as OpenAI's 401 does in part).
 */
export class AiError extends Error {
  override readonly name = 'AiError';
  readonly code: AiErrorCode;
  readonly status: number | undefined;
  readonly transient: boolean;
  readonly retryAfterMs: number | undefined;
  readonly partial: boolean;

  constructor(code: AiErrorCode, message: string, details: AiErrorDetails = {}) {
    super(message);
    this.code = code;
    this.status = details.status;
    this.transient = details.transient ?? false;
    this.retryAfterMs = details.retryAfterMs;
    this.partial = details.partial ?? false;
  }
}

/** Whether `value` is an {@link AiError}; checks `name`, since `instanceof` fails across module copies. */
export function isAiError(value: unknown): value is AiError {
  return value instanceof Error && value.name === 'AiError' && typeof (value as { code?: unknown }).code === 'string';
}
