import type { VerificationMode } from 'halo-widget/protocol';
import type { TrustProxy } from './http/client-address.js';
import type { RateLimitConfig } from './limits/rate-limiter.js';
import type { Respond } from './sdk-api/respond.js';
import type { ConversationStore } from './store/store.js';
import type { TraitLimits } from './identity/traits.js';
import type { VerifyFailure } from 'halo-widget/server';
import type { ChannelLimits } from './channel/channel-limits.js';
import type { DecisionLogLimits } from './ops/decision-log.js';
import type { AiConfig } from './ai/ai-config.js';

/** How a project treats user tokens (verification-modes). */
export type { VerificationMode };

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
  /**
   * The longest a user token may still be valid: seconds, or a span such as `'24h'`. A token
   * without `exp`, or whose `exp` is further away, is refused under `enforce` (403
   * `token_invalid`, logged with the reason `lifetime`) and logged under `monitor`.
   * @default no maximum (a token without `exp` is then accepted, with one warning per user)
   */
  maxTokenLifetime?: string | number;
  /** AI replies for this project through an OpenAI-compatible API (docs/ai.md). @default the config's `ai` */
  ai?: AiConfig;
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
  /**
   * AI replies through an OpenAI-compatible API for every project without its own `ai`
   * (docs/ai.md); they stream over the live channel. @default none: `respond` answers
   */
  ai?: AiConfig;
  /** @default console */
  logger?: HaloLogger;
  /**
   * Token buckets answering 429, in separate pools per project: per client address for every
   * request that does not end verified (checked before the token is), per user for verified
   * requests. `false` turns the limit off.
   * @default { burst: 30, perSecond: 2, maxKeys: 10000, perAddress: { burst: 300, perSecond: 10 } }
   */
  rateLimit?: RateLimitConfig | false;
  /**
   * Called once per judged request with its `Halo-Identity` result, for the rollout report
   * (the admin surface's counter: a few map operations, no I/O). Must not throw. @default none
   */
  onIdentityResult?: IdentityResultListener;
  /**
   * Trust `X-Forwarded-For` for the client address (behind a reverse proxy you run): `true`
   * or `1` for one proxy, `n` for a chain of `n`. Off, a client could name any address.
   * @default false
   */
  trustProxy?: TrustProxy;
  /** Limits on `user_traits`, per request and stored per identity. @default { maxKeys: 50, maxBytes: 4096, maxDepth: 4 } */
  traitLimits?: TraitLimits;
  /** Bounds of the live channel. @default see ChannelLimits */
  channel?: ChannelLimits;
  /**
   * Bounds on the log of refused and unverified identified requests (docs/operations.md):
   * one line per project, user, decision and reason a minute, and at most `burst` lines then
   * `perSecond` across all of them. @default { perKeyMs: 60000, burst: 50, perSecond: 1 }
   */
  decisionLog?: Omit<DecisionLogLimits, 'now'>;
}

/** A request's identity result as the rollout report counts it. */
export type IdentityOutcome = 'verified' | VerifyFailure | 'anonymous' | 'verification_off';

/**
 * Receives each judged request's identity result: the project, the result, the user id (null
 * for a visitor) and the client's SDK version (`unknown` when it sent none, as the SDK does today).
 */
/** `address`: the client address the request came from (as the rate limit keys it), so one address cannot fill the report's examples. */
export type IdentityResultListener = (
  widgetKey: string,
  result: IdentityOutcome,
  userId: string | null,
  sdkVersion: string,
  address?: string,
) => void;
