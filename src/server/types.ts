import type { RateLimitConfig } from './rate-limiter.js';
import type { Respond } from './respond.js';
import type { ConversationStore } from './store.js';
import type { VerifyFailure } from './verify-user-token.js';

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
  /**
   * Called once per judged request with its `Halo-Identity` result, for the rollout report
   * (the admin surface's counter: a few map operations, no I/O). Must not throw. @default none
   */
  onIdentityResult?: IdentityResultListener;
}

/** A request's identity result as the rollout report counts it. */
export type IdentityOutcome = 'verified' | VerifyFailure | 'anonymous' | 'verification_off';

/**
 * Receives each judged request's identity result: the project, the result, the user id (null
 * for a visitor) and the client's SDK version (`unknown` when it sent none, as the SDK does today).
 */
export type IdentityResultListener = (widgetKey: string, result: IdentityOutcome, userId: string | null, sdkVersion: string) => void;
