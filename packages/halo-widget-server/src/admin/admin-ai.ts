import { isSecret } from 'halo-widget/protocol';
import { redactAiConfig, resolveAiConfig, type AiConfig, type RedactedAiConfig } from '../ai/ai-config.js';
import { AiError } from '../ai/ai-error.js';
import { ApiError } from '../http/http.js';
import type { ProjectSettings } from './admin-store.js';

// Shapes of API keys pasted where a variable's name belongs: OpenAI/Anthropic `sk-…`, `pk_`/`rk_` keys, GitHub, Slack, Google.
const KEY_SHAPE = /(^|[^A-Za-z0-9])(sk|pk|rk)[-_][A-Za-z0-9_-]{8,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-|AIza[0-9A-Za-z_-]{20,}/;
// A long run with lower case, upper case and digits mixed is random, not a variable's name (those are UPPER_SNAKE).
const RANDOM_RUN = /[A-Za-z0-9]{32,}/;
const looksRandom = (value: string) =>
  (value.match(new RegExp(RANDOM_RUN, 'g')) ?? []).some((run) => /[a-z]/.test(run) && /[A-Z]/.test(run) && /[0-9]/.test(run));

const bad = (message: string) => new ApiError(400, 'invalid_request', message);

/**
 * Checks a project's `ai` section sent to the admin API and returns what is stored: the fields as
 * given, the base URL normalised. A 400 names the field and never quotes a value, so a key pasted
 * into the wrong field reaches neither the answer nor the log. Refused: anything `resolveAiConfig`
 * refuses, an identity secret in any field, an `apiKeyEnv` that looks like a key rather than a
 * variable's name, and the named variable's own value (the key) inside any field.
 */
export function parseAiSection(body: unknown, env: NodeJS.ProcessEnv = process.env): AiConfig {
  let resolved;
  try {
    resolved = resolveAiConfig(body, 'ai');
  } catch (error) {
    if (error instanceof AiError) throw bad(error.message);
    throw error;
  }
  const raw = body as Record<string, unknown>;
  const key = env[resolved.apiKeyEnv]?.trim();
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') continue;
    if (isSecret(value)) throw bad(`ai.${name} holds an identity secret: never put one here.`);
    if (key && key.length >= 8 && value.includes(key))
      throw bad(`ai.${name} holds the API key itself: the key stays in the environment variable ai.apiKeyEnv names.`);
  }
  if (KEY_SHAPE.test(resolved.apiKeyEnv) || looksRandom(resolved.apiKeyEnv))
    throw bad('ai.apiKeyEnv looks like a key: give the NAME of the environment variable that holds it, such as HALO_AI_API_KEY.');
  for (const name of ['model', 'baseUrl'] as const) {
    if (KEY_SHAPE.test(resolved[name])) throw bad(`ai.${name} looks like it holds a key: the key stays in the environment.`);
  }
  return { ...(raw as unknown as AiConfig), baseUrl: resolved.baseUrl };
}

/** A project's `ai` as the admin API shows it: `apiKeySet` from the server's environment, never the key. */
export function aiViewOf(project: ProjectSettings, env: NodeJS.ProcessEnv = process.env): RedactedAiConfig | null {
  return project.ai ? redactAiConfig(resolveAiConfig(project.ai, 'ai'), env) : null;
}

/** What the audit log keeps of a section: names and sizes, never the instructions' text (nor, ever, a key). */
export function aiAuditOf(ai: AiConfig | null | undefined): Record<string, unknown> | null {
  if (!ai) return null;
  const { instructions, ...rest } = ai;
  return { ...rest, instructionsChars: instructions.length };
}
