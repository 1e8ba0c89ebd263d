import OpenAI from 'openai';
import type { ResolvedAiConfig } from './ai-config.js';
import { AiError, isAiError } from './ai-error.js';
import { classify, sleep, type AttemptState } from './model-errors.js';
import type { PromptMessage } from './build-prompt.js';
import { createCallLimiter, type CallLimiter } from './call-limiter.js';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.js';

/** The name of the tool the model calls to hand a conversation to a person. */
export const HANDOFF_TOOL_NAME = 'handoff_to_human';

/** The tool offered to the model (unless `ai.handoffTool` is false). */
export const HANDOFF_TOOL: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: HANDOFF_TOOL_NAME,
    description:
      'Hand this conversation to a person on the support team. Call it when the user asks for a human, or when you cannot help them.',
    parameters: {
      type: 'object',
      properties: { reason: { type: 'string', description: 'Why, in a few words.' } },
      additionalProperties: false,
    },
  },
};

/** The token counts the model reported for one reply. */
export interface ModelUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** A finished reply. */
export interface ModelReply {
  /** The reply's text (may be empty when the model only asked for a handoff). */
  text: string;
  /** What the model reported in its last chunk; null when it reported nothing. */
  usage: ModelUsage | null;
  /** Set when the model called `handoff_to_human`; `reason` is the model's own words, at most 200 characters. */
  handoff: { reason: string } | null;
  /** The model's `finish_reason` (`stop`, `length`, `tool_calls`). */
  finishReason: string;
  /** Model calls made for this reply (1 without retries). */
  attempts: number;
}

/** What {@link ModelClient.streamReply} needs. */
export interface StreamReplyInput {
  messages: readonly PromptMessage[];
  /** Called with the text so far after each chunk that added text. Must not throw (a throw is logged and ignored). */
  onDelta?: (textSoFar: string) => void;
  /** Cancels the reply (shutdown): it then rejects with `AiError('aborted')`. */
  signal?: AbortSignal;
}

/** Where the model client reports what it ignores. Lines never hold the key. */
export interface ModelClientLogger {
  warn(...args: unknown[]): void;
}

/** Options of {@link createModelClient}. */
export interface ModelClientOptions {
  config: ResolvedAiConfig;
  /** The key from {@link readAiApiKey}. It goes in the `Authorization` header and nowhere else. */
  apiKey: string;
  /**
   * Retries of a transient failure (network, 408, 409, 429, 5xx, no first token) before the first token.
   * @default 2
   */
  retries?: number;
  /**
   * The backoff's base: the n-th retry waits `random() · min(backoffMaxMs, backoffBaseMs · 2ⁿ⁻¹)` (full jitter), or a 429's `Retry-After`.
   * @default 500
   */
  backoffBaseMs?: number;
  /** @default 8_000 */
  backoffMaxMs?: number;
  /**
   * Milliseconds one attempt waits for its first token; a stalled attempt is then retried if
   * `config.timeoutMs` (the budget until the first token, across attempts) has time left.
   * @default config.timeoutMs
   */
  attemptTimeoutMs?: number;
  /** @default a breaker of 5 failures in a row and 30 s of rest */
  breaker?: CircuitBreaker;
  /** @default a limiter of `config.callsPerMinute` */
  limiter?: CallLimiter;
  /** @default console */
  logger?: ModelClientLogger;
  /** @default Math.random */
  random?: () => number;
  /** @default Date.now */
  now?: () => number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Streams replies from one project's model. One per project: its breaker and limiter are that project's. */
export interface ModelClient {
  /**
   * Streams one reply. Rejects with an {@link AiError}: `model_timeout`, `model_error`,
   * `model_refused`, `rate_limited`, `circuit_open`, `aborted`, or `stream_cut` when text had
   * already been passed to `onDelta` (then the caller replaces that text; nothing is retried,
   * so nothing is stored twice).
   */
  streamReply(input: StreamReplyInput): Promise<ModelReply>;
  readonly breaker: CircuitBreaker;
  readonly limiter: CallLimiter;
}

const MAX_REASON = 200;

function usageOf(raw: OpenAI.CompletionUsage): ModelUsage {
  const promptTokens = Number(raw.prompt_tokens) || 0;
  const completionTokens = Number(raw.completion_tokens) || 0;
  return { promptTokens, completionTokens, totalTokens: Number(raw.total_tokens) || promptTokens + completionTokens };
}

function reasonOf(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args || '{}');
    const reason = parsed && typeof parsed === 'object' ? (parsed as { reason?: unknown }).reason : undefined;
    return typeof reason === 'string' ? reason.slice(0, MAX_REASON) : '';
  } catch (_partial) {
    // Arguments cut off or not JSON: the call itself is what matters, the reason is a courtesy.
    return '';
  }
}

/**
 * A {@link ModelClient} over the official `openai` package, pointed at `config.baseUrl`. The
 * package's own retries are off (`maxRetries: 0`): this client retries, since only it knows
 * whether text already reached the user. Its logging is off and nothing is read from `OPENAI_*`
 * environment variables, so one project's settings cannot leak into another's requests.
 */
export function createModelClient(options: ModelClientOptions): ModelClient {
  const { config, apiKey } = options;
  const retries = options.retries ?? 2;
  const backoffBaseMs = options.backoffBaseMs ?? 500;
  const backoffMaxMs = options.backoffMaxMs ?? 8_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? config.timeoutMs;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? console;
  const breaker = options.breaker ?? createCircuitBreaker({ now });
  const limiter = options.limiter ?? createCallLimiter({ limit: config.callsPerMinute, now });
  const client = new OpenAI({
    baseURL: config.baseUrl,
    apiKey,
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: 0,
    // A backstop for the response headers only; the first-token and idle deadlines below are what apply.
    timeout: config.timeoutMs + 5_000,
    // OPENAI_LOG=debug would print requests; nothing of this client goes to the console.
    logLevel: 'off',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  async function attempt(input: StreamReplyInput, firstTokenMs: number): Promise<Omit<ModelReply, 'attempts'>> {
    const controller = new AbortController();
    const state: AttemptState = { aborted: null, emitted: false, timeoutMs: firstTokenMs };
    const abort = (why: 'timeout' | 'caller'): void => {
      if (state.aborted) return;
      state.aborted = why;
      controller.abort();
    };
    const onCallerAbort = (): void => abort('caller');
    input.signal?.addEventListener('abort', onCallerAbort, { once: true });
    let timer = setTimeout(() => abort('timeout'), firstTokenMs);
    const keepAlive = (): void => {
      clearTimeout(timer);
      state.timeoutMs = config.timeoutMs;
      timer = setTimeout(() => abort('timeout'), config.timeoutMs);
    };
    let text = '';
    let refusal = '';
    let usage: ModelUsage | null = null;
    let finishReason: string | null = null;
    const calls = new Map<number, { name: string; args: string }>();
    try {
      if (input.signal?.aborted) abort('caller');
      const stream = await client.chat.completions.create(
        {
          model: config.model,
          messages: input.messages.map((m) => ({ role: m.role, content: m.content })),
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: config.maxTokens,
          ...(config.handoffTool ? { tools: [HANDOFF_TOOL], tool_choice: 'auto' as const } : {}),
        },
        { signal: controller.signal },
      );
      for await (const chunk of stream) {
        let alive = false;
        if (chunk.usage) {
          usage = usageOf(chunk.usage);
          alive = true;
        }
        const choice = chunk.choices?.find((c) => c.index === 0) ?? chunk.choices?.[0];
        const delta = choice?.delta;
        if (delta) {
          // Any field but the role counts as progress (reasoning models stream `reasoning_content` first).
          if (Object.entries(delta).some(([name, value]) => name !== 'role' && value !== null && value !== undefined && value !== '')) {
            alive = true;
          }
          if (typeof delta.refusal === 'string') refusal += delta.refusal;
          for (const call of delta.tool_calls ?? []) {
            const known = calls.get(call.index) ?? { name: '', args: '' };
            known.name += call.function?.name ?? '';
            known.args += call.function?.arguments ?? '';
            calls.set(call.index, known);
          }
          if (typeof delta.content === 'string' && delta.content !== '') {
            text += delta.content;
            state.emitted = true;
            try {
              input.onDelta?.(text);
            } catch (failure) {
              logger.warn('[halo] ai: onDelta threw; the reply goes on.', failure instanceof Error ? failure.message : String(failure));
            }
          }
        }
        if (choice?.finish_reason) {
          finishReason = choice.finish_reason;
          alive = true;
        }
        if (alive) keepAlive();
      }
    } catch (error) {
      throw classify(error, state, apiKey, now());
    } finally {
      clearTimeout(timer);
      input.signal?.removeEventListener('abort', onCallerAbort);
    }
    // The package ends the iteration quietly when the request is aborted: the reason is ours to report.
    if (state.aborted) throw classify(null, state, apiKey, now());
    if (finishReason === null) {
      throw state.emitted
        ? new AiError('stream_cut', 'The model stream ended before the reply was finished.', { partial: true })
        : new AiError('model_error', 'The model stream ended before any reply.', { transient: true });
    }
    if (refusal || finishReason === 'content_filter') {
      throw new AiError('model_refused', `The model declined to answer (${refusal ? 'refusal' : 'content filter'}).`, {
        partial: state.emitted,
      });
    }
    const handoffCall = [...calls.values()].find((call) => call.name === HANDOFF_TOOL_NAME);
    const handoff = handoffCall ? { reason: reasonOf(handoffCall.args) } : null;
    if (!handoff && text.trim() === '') throw new AiError('model_error', 'The model finished without any text.');
    return { text, usage, handoff, finishReason };
  }

  async function streamReply(input: StreamReplyInput): Promise<ModelReply> {
    if (input.signal?.aborted) throw new AiError('aborted', 'The reply was cancelled.');
    if (!breaker.tryAcquire()) throw new AiError('circuit_open', 'The model failed too often in a row and is resting; no call was made.');
    const deadline = now() + config.timeoutMs;
    let attempts = 0;
    let limitedHere = false;
    try {
      for (;;) {
        if (!limiter.tryTake()) {
          limitedHere = true;
          throw new AiError(
            'rate_limited',
            `This project made its ai.callsPerMinute (${config.callsPerMinute}) model calls; no call was made.`,
          );
        }
        attempts += 1;
        const left = deadline - now();
        if (left <= 0) throw new AiError('model_timeout', `The model sent no first token within ${config.timeoutMs} ms.`);
        try {
          const reply = await attempt(input, Math.min(attemptTimeoutMs, left));
          breaker.recordSuccess();
          return { ...reply, attempts };
        } catch (error) {
          const failure = isAiError(error) ? error : classify(error, { aborted: null, emitted: false, timeoutMs: 0 }, apiKey, now());
          if (!failure.transient || failure.partial || attempts > retries) throw failure;
          const wait = failure.retryAfterMs ?? random() * Math.min(backoffMaxMs, backoffBaseMs * 2 ** (attempts - 1));
          // The budget until the first token is the user's wait: a retry that cannot start within it is not made.
          if (now() + wait >= deadline) throw failure;
          await sleep(wait, input.signal);
        }
      }
    } catch (error) {
      // Neither a cancelled reply nor our own limit says anything about the model's health.
      if (limitedHere || (isAiError(error) && error.code === 'aborted')) breaker.release();
      else breaker.recordFailure();
      throw error;
    }
  }

  return { streamReply, breaker, limiter };
}
