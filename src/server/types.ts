import type { RateLimitConfig } from './rate-limiter.js';
import type { Respond } from './respond.js';
import type { ConversationStore } from './store.js';

/** How a project treats user tokens (verification-modes). */
export type VerificationMode = 'off' | 'monitor' | 'enforce';

/** One project of the API. Read on every request, so changing `mode` or `identitySecrets` takes effect at once. */
export interface ProjectConfig {
  /** The publishable key the widget sends as `widget_key`. */
  widgetKey: string;
  /** Identity secrets (`ha_secret_…`); several during a rotation, any one verifies. @default [] */
  identitySecrets?: string[];
  /** @default 'monitor' once the project has a secret, else 'off' */
  mode?: VerificationMode;
  /** Origins allowed to call from a browser (`'*'` for any). Calls without `Origin` are exempt. @default any */
  allowedOrigins?: string[];
}

/** Console-shaped logger. */
export interface HaloLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** The reference API's configuration. */
export interface HaloApiConfig {
  projects: ProjectConfig[];
  /** @default createMemoryStore() */
  store?: ConversationStore;
  /** @default defaultRespond: a deterministic reply that shows the trusted traits */
  respond?: Respond;
  /** @default console */
  logger?: HaloLogger;
  /** Token buckets per widget key + user (or IP for visitors), answering 429. @default false: no limit */
  rateLimit?: RateLimitConfig | false;
}
