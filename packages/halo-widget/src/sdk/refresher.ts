import { isHaloError, tokenRefreshFailed, type HaloError } from '../errors.js';
import { DEV } from '../dev.js';
import type { GetUserTokenContext } from '../types.js';
import type { TokenCoordinator } from './cross-tab.js';
import type { TokenState, TokenUse } from './token-state.js';

/** How the refresher reaches the app's backend. */
export interface RefreshSettings {
  getUserToken: (context: GetUserTokenContext) => Promise<string>;
  tokenTimeoutMs: number;
}

interface Refresh {
  /** Started because the server refused the token with this `seq` (retry-once-on-403). */
  forced: boolean;
  forSeq: number;
  promise: Promise<TokenUse>;
}

/** What the refresher needs of its user session (see Session). */
interface RefreshSession {
  signal: AbortSignal;
  ended: Promise<never>;
  /** Aborts `request` when the session ends; the returned function forgets it. */
  track(request: AbortController): () => void;
}

/** How long a tab that waited for the refresh lock waits for the holder's broadcast. */
const SHARED_WAIT_MS = 250;

/**
 * single-flight-refresh for one user session: concurrent calls share one getUserToken
 * call; under the cross-tab lock the token is checked again before calling the app (lock →
 * recheck); a forced refresh (after a 403) never joins a refresh that started before the
 * 403, whose token may be the very one refused (the auth0-spa-js #1691 bug). The session's
 * AbortSignal cuts a pending refresh short on a user switch or shutdown.
 */
export class Refresher {
  #inflight: Refresh | null = null;
  #started = 0;
  #applied = 0;
  readonly #state: TokenState;
  readonly #settings: RefreshSettings;
  readonly #coordinator: TokenCoordinator | null;
  readonly #session: RefreshSession;
  readonly #host: { report(error: HaloError): void; changed(): void };

  constructor(
    state: TokenState,
    settings: RefreshSettings,
    coordinator: TokenCoordinator | null,
    session: RefreshSession,
    host: { report(error: HaloError): void; changed(): void },
  ) {
    this.#state = state;
    this.#settings = settings;
    this.#coordinator = coordinator;
    this.#session = session;
    this.#host = host;
  }

  /** Whether getUserToken is running (status `refreshing`). */
  get running(): boolean {
    return this.#inflight !== null;
  }

  /**
   * A new token. `forced`: the server refused the token with `seq` `forSeq`, so only a
   * refresh started for that refusal (or a later one) may answer.
   */
  refresh(forced: boolean, forSeq: number): Promise<TokenUse> {
    const running = this.#inflight;
    if (running && (!forced || (running.forced && running.forSeq >= forSeq))) return running.promise;
    const id = ++this.#started;
    const startSeq = this.#state.seq;
    const userId = this.#state.userId!;
    const coordinator = this.#coordinator;
    const run = async (waited: boolean): Promise<TokenUse> => {
      // The previous lock holder broadcast its token just before letting go: give it a moment to land.
      if (waited) await this.#state.arrivedSince(startSeq, SHARED_WAIT_MS);
      // Checked again under the lock: another tab may have shared a token meanwhile.
      const shared = this.#state.seq > startSeq ? this.#state.usable() : null;
      if (shared) return shared;
      const token = await this.#fetchToken();
      this.#throwIfAborted();
      // A slower, older refresh must not replace the token of a newer one.
      if (id < this.#applied) return this.#state.usable() ?? this.#state.any();
      this.#applied = id;
      const fresh = this.#state.accept(token);
      coordinator?.publish(userId, token);
      return fresh;
    };
    const promise = (coordinator ? coordinator.withLock(userId, this.#settings.tokenTimeoutMs, run) : run(false)).catch(
      (error: unknown) => {
        this.#throwIfAborted();
        const failure = isHaloError(error) && error.code === 'token_refresh_failed' ? error : tokenRefreshFailed(false, error);
        this.#host.report(failure);
        throw failure;
      },
    );
    const refresh: Refresh = { forced, forSeq, promise };
    this.#inflight = refresh;
    this.#host.changed();
    const settle = () => {
      if (this.#inflight !== refresh) return;
      this.#inflight = null;
      this.#host.changed();
    };
    promise.then(settle, settle);
    return promise;
  }

  #throwIfAborted(): void {
    const { signal } = this.#session;
    if (signal.aborted) throw signal.reason;
  }

  /**
   * getUserToken with the timeout of refresh-failure-keeps-messages; never synchronously
   * (re-entrant). Its `signal` aborts when the SDK stops waiting — the timeout, or the end of
   * the session (user switch, shutdown, destroy) — so the app's request to its backend stops too.
   */
  #fetchToken(): Promise<string> {
    const { getUserToken, tokenTimeoutMs: ms } = this.#settings;
    const request = new AbortController();
    const untrack = this.#session.track(request);
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      Promise.resolve().then(() => getUserToken({ signal: request.signal })),
      this.#session.ended,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const timedOut = tokenRefreshFailed(DEV && `getUserToken timed out (${ms} ms).`);
          request.abort(timedOut);
          reject(timedOut);
        }, ms);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      untrack();
    });
  }
}
