import type { HaloError } from '../errors.js';
import type { IdentityStatus } from '../types.js';
import type { ServerClock } from './clock.js';
import type { TokenCoordinator } from './cross-tab.js';
import type { CallResult } from './transport.js';
import { Refresher, type RefreshSettings } from './refresher.js';
import { TokenState, type TokenHost } from './token-state.js';

/** What a session needs to be built. */
export interface SessionSettings {
  clock: ServerClock;
  refreshSkewSeconds: number;
  tokenTimeoutMs: number;
  getUserToken: RefreshSettings['getUserToken'] | null;
  coordinator: TokenCoordinator | null;
}

/**
 * Everything that belongs to one user (or the anonymous visitor) of a client: token,
 * refresher, conversation and verdict. A user switch or shutdown ends the session: its
 * AbortController aborts its requests and its pending refresh, and whatever they were
 * about to do is dropped because they see the signal (user-switch-discards). Nothing
 * compares counters: a result belongs to the session whose signal it carries.
 */
export class Session {
  readonly userId: string | null;
  readonly signal: AbortSignal;
  readonly tokens: TokenState;
  /** `null` without getUserToken: the server then judges the token the app gave. */
  readonly refresher: Refresher | null;
  conversationId: string | null = null;
  /** As the server last reported it; `null` before any answer. */
  verified: boolean | null = null;
  /** Rejects with the reason once the session ends: a pending wait races it. */
  readonly ended: Promise<never>;
  readonly #controller = new AbortController();
  /** Requests on the wire; aborted directly on end, so no listener is added per request. */
  readonly #requests = new Set<AbortController>();

  constructor(userId: string | null, settings: SessionSettings, host: TokenHost) {
    this.userId = userId;
    this.signal = this.#controller.signal;
    this.ended = new Promise<never>((_, reject) => this.signal.addEventListener('abort', () => reject(this.signal.reason as Error)));
    // Nobody may be waiting when the session ends; the reason is the callers' business, not a failure.
    this.ended.catch((reason: unknown) => void reason);
    // A session that ended is silent: nothing it still runs reaches the app.
    const live: TokenHost = {
      report: (error) => this.signal.aborted || host.report(error),
      changed: () => this.signal.aborted || host.changed(),
      expired: (event) => this.signal.aborted || host.expired(event),
      recovered: () => this.signal.aborted || host.recovered(),
    };
    this.tokens = new TokenState(userId, settings.clock, settings.refreshSkewSeconds, live);
    const { getUserToken } = settings;
    this.refresher =
      userId !== null && getUserToken
        ? new Refresher(this.tokens, { getUserToken, tokenTimeoutMs: settings.tokenTimeoutMs }, settings.coordinator, this, live)
        : null;
  }

  /** Where the session's identity stands. */
  get status(): IdentityStatus {
    if (this.userId === null) return 'anonymous';
    if (this.tokens.expiredAt !== null) return 'expired';
    return this.refresher?.running ? 'refreshing' : 'identified';
  }

  /**
   * Records the server's verdict from an answer (the body's `identity.verified`, else the
   * `Halo-Identity` header); true when it changed.
   */
  answered(result: CallResult): boolean {
    const identity = result.ok ? (result.data.identity as { verified?: unknown } | undefined) : undefined;
    const verified = typeof identity?.verified === 'boolean' ? identity.verified : result.verified;
    if (verified === null || verified === this.verified) return false;
    this.verified = verified;
    return true;
  }

  /** A controller for one request of this session; call the returned function when it is done. */
  track(request: AbortController): () => void {
    this.#requests.add(request);
    return () => this.#requests.delete(request);
  }

  /** Ends the session: its requests are aborted, its waits and refresh reject with `reason`. */
  end(reason: HaloError): void {
    this.#controller.abort(reason);
    this.#requests.forEach((request) => request.abort(reason));
  }
}
