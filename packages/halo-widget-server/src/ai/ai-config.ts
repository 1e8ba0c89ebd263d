import { AiError } from './ai-error.js';

/**
 * The `"ai"` section of the config file, and of a project in `/admin`. Without it the server
 * keeps answering with `respond()`.
 */
export interface AiConfig {
  /** The OpenAI-compatible API's base URL, ending in `/v1` (OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp, LiteLLM). */
  baseUrl: string;
  /** The model name the server knows (`gpt-4o-mini`, `llama3.1:8b`, a vLLM `--served-model-name`). */
  model: string;
  /** The name of the environment variable holding the API key. The key itself is never in a config. */
  apiKeyEnv: string;
  /** The operator's instructions: who the assistant is, what it may promise, its tone. */
  instructions: string;
  /**
   * Milliseconds until the first token, across retries; also the longest gap allowed between two chunks.
   * @default 30_000
   */
  timeoutMs?: number;
  /**
   * The most tokens one reply may use (`max_tokens`).
   * @default 512
   */
  maxTokens?: number;
  /**
   * The most model calls (retries included) this project makes in any 60 seconds.
   * @default 60
   */
  callsPerMinute?: number;
  /**
   * Whether a verified user's client traits (set by the browser, so untrusted) go to the model, labelled as such.
   * @default false
   */
  includeClientTraits?: boolean;
  /**
   * The most conversation messages the model sees (the newest ones).
   * @default 20
   */
  historyWindow?: number;
  /**
   * The most characters of conversation the model sees (the newest ones).
   * @default 12_000
   */
  historyChars?: number;
  /**
   * Whether the model is offered the `handoff_to_human` tool. Turn it off for a server that refuses
   * `tools` (llama.cpp without `--jinja`, some Ollama models); a plain-language request for a human still works.
   * @default true
   */
  handoffTool?: boolean;
}

/** An {@link AiConfig} checked once, every default filled in. */
export type ResolvedAiConfig = Required<AiConfig>;

/** What may be shown of an AI config in a log line or on `/admin`: never the key, nor credentials in the URL. */
export interface RedactedAiConfig {
  baseUrl: string;
  model: string;
  apiKeyEnv: string;
  /** Whether the named environment variable holds a key (its value is never shown). */
  apiKeySet: boolean;
  instructions: string;
  timeoutMs: number;
  maxTokens: number;
  callsPerMinute: number;
  includeClientTraits: boolean;
  historyWindow: number;
  historyChars: number;
  handoffTool: boolean;
}

const DEFAULTS = {
  timeoutMs: 30_000,
  maxTokens: 512,
  callsPerMinute: 60,
  includeClientTraits: false,
  historyWindow: 20,
  historyChars: 12_000,
  handoffTool: true,
} as const;

const KEYS = new Set(['baseUrl', 'model', 'apiKeyEnv', 'instructions', ...Object.keys(DEFAULTS)]);

/** The longest instructions accepted: they go into every model call, so they are paid for every time. */
const MAX_INSTRUCTIONS = 20_000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Query parameters that carry credentials: the key belongs in the environment, not in a URL that gets logged.
const CREDENTIAL_PARAM = /key|token|secret|password|sig/i;

const invalid = (message: string): AiError => new AiError('invalid_ai_config', message);

function integer(raw: Record<string, unknown>, field: keyof typeof DEFAULTS, where: string, min: number, max: number): number {
  const value = raw[field] ?? DEFAULTS[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${where}.${field} must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

function flag(raw: Record<string, unknown>, field: 'includeClientTraits' | 'handoffTool', where: string): boolean {
  const value = raw[field] ?? DEFAULTS[field];
  if (typeof value !== 'boolean') throw invalid(`${where}.${field} must be true or false.`);
  return value;
}

function text(raw: Record<string, unknown>, field: 'model' | 'instructions', where: string, max: number): string {
  const value = raw[field];
  if (typeof value !== 'string' || value.trim() === '') throw invalid(`${where}.${field} must be a non-empty string.`);
  if (value.length > max) throw invalid(`${where}.${field} must be at most ${max} characters.`);
  return value;
}

function baseUrlOf(raw: Record<string, unknown>, where: string): string {
  const value = raw.baseUrl;
  let url: URL | null = null;
  if (typeof value === 'string') url = URL.canParse(value) ? new URL(value) : null;
  // The value itself is not quoted: a URL with credentials in it must not reach the log either.
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw invalid(`${where}.baseUrl must be an http(s) URL such as "https://api.openai.com/v1".`);
  }
  if (url.username || url.password || [...url.searchParams.keys()].some((name) => CREDENTIAL_PARAM.test(name))) {
    throw invalid(`${where}.baseUrl must not carry credentials: put the key in the environment variable named by ${where}.apiKeyEnv.`);
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * Checks an `"ai"` section and fills its defaults. Throws `AiError('invalid_ai_config')` with a
 * message naming the field (`where` prefixes it, e.g. `projects[2].ai`); no message quotes a value,
 * since a key pasted into the wrong field must not reach the log.
 */
export function resolveAiConfig(raw: unknown, where = 'ai'): ResolvedAiConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(`${where} must be an object.`);
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (key === 'apiKey' || key === 'key') {
      throw invalid(`${where}.${key} is not an option: put the key in an environment variable and name it in ${where}.apiKeyEnv.`);
    }
    if (!KEYS.has(key)) throw invalid(`${where}.${key} is not an option (options: ${[...KEYS].join(', ')}).`);
  }
  const apiKeyEnv = input.apiKeyEnv;
  if (typeof apiKeyEnv !== 'string' || !ENV_NAME.test(apiKeyEnv)) {
    throw invalid(`${where}.apiKeyEnv must be the name of an environment variable (letters, digits and _), not the key itself.`);
  }
  return {
    baseUrl: baseUrlOf(input, where),
    model: text(input, 'model', where, 200),
    apiKeyEnv,
    instructions: text(input, 'instructions', where, MAX_INSTRUCTIONS),
    timeoutMs: integer(input, 'timeoutMs', where, 1, 600_000),
    maxTokens: integer(input, 'maxTokens', where, 1, 100_000),
    callsPerMinute: integer(input, 'callsPerMinute', where, 1, 100_000),
    includeClientTraits: flag(input, 'includeClientTraits', where),
    historyWindow: integer(input, 'historyWindow', where, 1, 500),
    historyChars: integer(input, 'historyChars', where, 100, 1_000_000),
    handoffTool: flag(input, 'handoffTool', where),
  };
}

/**
 * The API key, read from `env[config.apiKeyEnv]` and nowhere else. Throws
 * `AiError('ai_key_missing')` naming the variable when it is unset or empty (a local server
 * that needs no key, such as Ollama, takes any value: `HALO_AI_API_KEY=ollama`).
 */
export function readAiApiKey(config: Pick<AiConfig, 'apiKeyEnv'>, env: NodeJS.ProcessEnv = process.env): string {
  const key = env[config.apiKeyEnv];
  if (typeof key !== 'string' || key.trim() === '') {
    throw new AiError('ai_key_missing', `The environment variable ${config.apiKeyEnv} (named by ai.apiKeyEnv) is not set.`);
  }
  return key.trim();
}

/** A view of the config safe for a log line, the admin page or the database: the key's presence, never its value. */
export function redactAiConfig(config: ResolvedAiConfig, env: NodeJS.ProcessEnv = process.env): RedactedAiConfig {
  const url = new URL(config.baseUrl);
  // resolveAiConfig refused credentials already; dropping the query keeps a config built some other way safe too.
  url.username = '';
  url.password = '';
  url.search = '';
  const key = env[config.apiKeyEnv];
  return {
    baseUrl: url.href.replace(/\/+$/, ''),
    model: config.model,
    apiKeyEnv: config.apiKeyEnv,
    apiKeySet: typeof key === 'string' && key.trim() !== '',
    instructions: config.instructions,
    timeoutMs: config.timeoutMs,
    maxTokens: config.maxTokens,
    callsPerMinute: config.callsPerMinute,
    includeClientTraits: config.includeClientTraits,
    historyWindow: config.historyWindow,
    historyChars: config.historyChars,
    handoffTool: config.handoffTool,
  };
}
