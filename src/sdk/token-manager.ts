import { HaloError } from '../errors.js';
import type { IdentityExpiredEvent, IdentityExpiredReason, IdentityStatus, TokenRejectionReason } from '../types.js';
import type { ServerClock } from './clock.js';
import type { TokenCoordinator } from './cross-tab.js';
import { decodeClaims, type TokenClaims } from './jwt.js';
import { SECRET_PREFIX, secretExposed } from './options.js';

/** The token a call carries, and which one it was (`seq` grows with every new token). */
export interface TokenUse {
  token: string | null;
  seq: number;
}

interface TokenEntry {
  token: string;
  claims: TokenClaims;
  seq: number;
  /** Accepted from `getUserToken` while already "not fresh": used until it expires (T3). */
  sticky: boolean;
  /** The server answered 403 to it. */
  rejected: boolean;
}

interface Refresh {
  id: number;
  /** Started because the server rejected the token with this `seq` (T4). */
  forced: boolean;
  forSeq: number;
  promise: Promise<TokenUse>;
}

/** What the token manager tells its client. */
export interface TokenHost {
  report(error: HaloError): void;
  changed(): void;
  expired(event: IdentityExpiredEvent): void;
  recovered(): void;
}

export interface TokenSettings {
  getUserToken: (() => Promise<string>) | null;
  refreshSkewSeconds: number;
  tokenTimeoutMs: number;
}

const NO_TOKEN: TokenUse = { token: null, seq: 0 };
const QUEUE_RETRY_MS = 30_000;
/** How long a tab that waited for the refresh lock waits for the holder's broadcast. */
const SHARED_WAIT_MS = 250;

export function identityChanged(): HaloError {
  return new HaloError('identity_changed', 'User changed before the call completed.');
}

export function identityExpired(reason: IdentityExpiredReason, cause?: unknown): HaloError {
  return new HaloError(
    'identity_expired',
    `Identity not verified (${reason}); sign the user in again.`,
    { reason, cause },
  );
}

/**
 * The token rules of SPEC §4 (T1–T4, T6, T7, T9, T10) for one client: when a token is
 * fresh, single-flight refresh through `getUserToken`, acceptance of refreshed tokens,
 * the retry-once recovery after a 403, and the expired episode.
 */
export class TokenManager {
  /** Bumped on every user switch and on shutdown; stale results are dropped (T9). */
  generation = 0;
  #userId: string | null = null;
  #entry: TokenEntry | null = null;
  #seq = 0;
  #refreshes = 0;
  #applied = 0;
  #inflight: Refresh | null = null;
  #expired = false;
  #episodeReported = false;
  #lastQueueRetry = -Infinity;
  readonly #settings: TokenSettings;
  readonly #clock: ServerClock;
  readonly #host: TokenHost;
  #coordinator: TokenCoordinator | null = null;
  #arrivals = new Set<() => void>();

  constructor(settings: TokenSettings, clock: ServerClock, host: TokenHost) {
    this.#settings = settings;
    this.#clock = clock;
    this.#host = host;
  }

  /** Shares refreshes with other tabs (see cross-tab.ts). */
  coordinate(coordinator: TokenCoordinator | null): void {
    this.#coordinator = coordinator;
  }

  /**
   * A token another tab fetched for `userId`. Used when it is for the current user, valid,
   * and better than ours; silently ignored otherwise (another user, after a switch or
   * shutdown, a token we already have).
   */
  receiveShared(userId: string, token: string): void {
    const current = this.#entry;
    if (userId !== this.#userId || current?.token === token) return;
    const claims = this.#check(token, 'shared', true);
    if (claims instanceof HaloError) return;
    const better = !current || current.rejected || !this.#usable(current) || (claims.exp ?? Infinity) > (current.claims.exp ?? Infinity);
    if (better) this.#install(this.#entryFor(token, claims));
  }

  get userId(): string | null {
    return this.#userId;
  }

  get status(): IdentityStatus {
    if (this.#userId === null) return 'anonymous';
    if (this.#expired) return 'expired';
    return this.#inflight ? 'refreshing' : 'identified';
  }

  /** `exp` of the token in use, in epoch seconds. */
  get tokenExpiresAt(): number | null {
    return this.#entry?.claims.exp ?? null;
  }

  /** A user switch, a logout (`null`) or the first identification: forget everything (T9). */
  setUser(userId: string | null): void {
    this.generation++;
    this.#userId = userId;
    this.#entry = null;
    this.#inflight = null;
    this.#expired = false;
    this.#episodeReported = false;
    this.#lastQueueRetry = -Infinity;
    this.#host.changed();
  }

  /**
   * A token handed over by the app (options or `identify`). One for another user is never
   * used (T10); the SDK will refresh instead, if it can.
   */
  offerToken(token: string): boolean {
    const claims = this.#check(token, 'userToken', false);
    if (claims instanceof HaloError) {
      this.#host.report(claims);
      return false;
    }
    this.#install({ ...this.#entryFor(token, claims), sticky: false });
    return true;
  }

  /** Whether the token in use has a `name` or `email` claim. */
  get tokenNamesUser(): boolean {
    return this.#entry?.claims.named ?? false;
  }

  /** The token an authenticated call should carry now, refreshing first if it must (T1, T2, T6). */
  async tokenForCall(): Promise<TokenUse> {
    if (this.#userId === null) return NO_TOKEN;
    const entry = this.#entry;
    if (entry && !entry.rejected && this.#usable(entry)) return use(entry);
    // Without getUserToken the server is the judge of whatever we have, even a token it refused (T2).
    if (!this.#settings.getUserToken) return entry ? use(entry) : NO_TOKEN;
    const generation = this.generation;
    try {
      return await this.#refresh(false, 0);
    } catch (error) {
      if (generation !== this.generation) throw identityChanged();
      const current = this.#entry;
      if (current && !current.rejected && !this.#isExpired(current)) return use(current);
      throw error;
    }
  }

  /**
   * After `403 identity_verification_failed` for the token `used` (T4): the token to retry
   * with, or an `identity_expired` error once the episode is declared. `retried`: the
   * call was already retried once, so only a token that arrived since may be tried.
   */
  async recover(used: TokenUse, reason: TokenRejectionReason, retried: boolean): Promise<TokenUse> {
    const generation = this.generation;
    this.#markRejected(used);
    const newer = this.#newerThan(used);
    if (newer) return newer;
    if (retried || !this.#settings.getUserToken) {
      this.expire(reason);
      throw identityExpired(reason);
    }
    try {
      return await this.#refresh(true, used.seq);
    } catch (error) {
      if (generation !== this.generation) throw identityChanged();
      // The app may have handed over a new token (identify) while the refresh failed.
      const arrived = this.#newerThan(used);
      if (arrived) return arrived;
      this.expire('token_refresh_failed');
      throw identityExpired('token_refresh_failed', error);
    }
  }

  #newerThan(used: TokenUse): TokenUse | null {
    const entry = this.#entry;
    return entry && entry.seq > used.seq && !entry.rejected ? use(entry) : null;
  }

  /** Declares the expired episode; `onIdentityExpired` fires once per episode. */
  expire(reason: IdentityExpiredReason): void {
    const userId = this.#userId;
    if (userId === null) return;
    if (!this.#expired) {
      this.#expired = true;
      this.#host.changed();
    }
    if (!this.#episodeReported) {
      this.#episodeReported = true;
      this.#host.expired({ userId, reason });
    }
  }

  /**
   * A message was queued while expired: try `getUserToken` again, at most once per 30 s (T5).
   */
  retryForQueue(): void {
    if (!this.#expired || !this.#settings.getUserToken) return;
    const now = Date.now();
    if (now - this.#lastQueueRetry < QUEUE_RETRY_MS) return;
    this.#lastQueueRetry = now;
    this.#refresh(true, this.#entry?.seq ?? 0).catch((error: unknown) => {
      // Already reported to onError by #refresh; the queue waits for identify() or the next try.
      void error;
    });
  }

  /** Resolves when a token newer than `seq` is installed, or after `ms`. */
  #sharedSince(seq: number, ms: number): Promise<void> {
    if (this.#seq > seq) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#arrivals.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#arrivals.add(done);
    });
  }

  #markRejected(used: TokenUse): void {
    if (this.#entry && this.#entry.seq === used.seq) this.#entry.rejected = true;
  }

  /**
   * The server accepted a call of this user: the expired episode, if any, is over, and a
   * later expiry is a new episode that the app hears about again.
   */
  confirmed(): void {
    if (this.#userId !== null && !this.#expired) this.#episodeReported = false;
  }

  #install(entry: TokenEntry): void {
    this.#entry = entry;
    this.#arrivals.forEach((arrived) => arrived());
    if (this.#expired) {
      // Not the end of the episode yet (see confirmed()): a new token lets the queue try again.
      this.#expired = false;
      this.#lastQueueRetry = -Infinity;
      this.#host.changed();
      this.#host.recovered();
    } else {
      this.#host.changed();
    }
  }

  #skew(claims: TokenClaims): number {
    const { exp, iat } = claims;
    const half = exp !== undefined && iat !== undefined ? (exp - iat) / 2 : Infinity;
    return Math.min(this.#settings.refreshSkewSeconds, half);
  }

  /** T1: fresh while `exp - now > skew`; a token without `exp` is fresh until rejected. */
  #isFresh(claims: TokenClaims): boolean {
    if (claims.exp === undefined) return true;
    return claims.exp - this.#clock.nowSeconds() > this.#skew(claims);
  }

  #isExpired(entry: TokenEntry): boolean {
    return entry.claims.exp !== undefined && entry.claims.exp <= this.#clock.nowSeconds();
  }

  #usable(entry: TokenEntry): boolean {
    if (!entry.sticky) return this.#isFresh(entry.claims);
    // T7: until the server's clock is known, only the server may call a refreshed token expired.
    return !this.#clock.known || !this.#isExpired(entry);
  }

  /** Single flight (T2); a forced refresh is never satisfied by one that predates the 403 (T4). */
  #refresh(forced: boolean, forSeq: number): Promise<TokenUse> {
    const running = this.#inflight;
    if (running && (!forced || (running.forced && running.forSeq >= forSeq))) return running.promise;
    const id = ++this.#refreshes;
    const generation = this.generation;
    const userId = this.#userId!;
    const startSeq = this.#seq;
    const coordinator = this.#coordinator;
    const run = async (waited: boolean): Promise<TokenUse> => {
      // The previous lock holder broadcast its token just before letting go: give it a moment to land.
      if (waited) await this.#sharedSince(startSeq, SHARED_WAIT_MS);
      // Checked again under the lock: another tab may have shared a token meanwhile.
      const shared = this.#entry;
      if (generation === this.generation && shared && shared.seq > startSeq && !shared.rejected && this.#usable(shared)) {
        return use(shared);
      }
      const token = await this.#fetchToken();
      if (generation !== this.generation) throw identityChanged();
      const entry = this.#accept(token);
      // A slower, older refresh must not overwrite the token of a newer one.
      if (id > this.#applied) {
        this.#applied = id;
        this.#install(entry);
      }
      this.#coordinator?.publish(userId, entry.token);
      return use(this.#entry ?? entry);
    };
    const promise = (coordinator ? coordinator.withLock(userId, this.#settings.tokenTimeoutMs, run) : run(false))
      .catch((error: unknown) => {
        if (generation !== this.generation) throw identityChanged();
        const failure =
          error instanceof HaloError && error.code === 'token_refresh_failed'
            ? error
            : new HaloError('token_refresh_failed', 'getUserToken failed.', { cause: error });
        this.#host.report(failure);
        throw failure;
      });
    const refresh: Refresh = { id, forced, forSeq, promise };
    this.#inflight = refresh;
    this.#host.changed();
    const settle = () => {
      if (this.#inflight === refresh) {
        this.#inflight = null;
        this.#host.changed();
      }
    };
    promise.then(settle, settle);
    return promise;
  }

  /** Calls `getUserToken` with the timeout of T6; never synchronously (T12). */
  #fetchToken(): Promise<string> {
    const { getUserToken, tokenTimeoutMs: ms } = this.#settings;
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      Promise.resolve().then(() => getUserToken!()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HaloError('token_refresh_failed', `getUserToken timed out (${ms} ms).`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** T3 acceptance (with T8 and T10): the refreshed token, or a token_refresh_failed. */
  #accept(token: unknown): TokenEntry {
    const claims = this.#check(token, 'getUserToken', true);
    if (claims instanceof HaloError) {
      this.#host.report(claims);
      throw new HaloError('token_refresh_failed', claims.message, { cause: claims });
    }
    return this.#entryFor(token as string, claims);
  }

  /**
   * A token is usable for this user when it is not a secret (T8), decodes, names the
   * current user (T10) and — once the server's clock is known (T7) — has not expired.
   */
  #check(token: unknown, from: string, checkExp: boolean): TokenClaims | HaloError {
    if (typeof token === 'string' && token.startsWith(SECRET_PREFIX)) return secretExposed(from);
    const claims = typeof token === 'string' ? decodeClaims(token) : null;
    if (!claims) return new HaloError('invalid_user_token', `${from}: not a JWT.`);
    if (claims.user_id !== this.#userId) return new HaloError('token_user_mismatch', `${from}: token for another user_id.`);
    if (checkExp && this.#clock.known && claims.exp !== undefined && claims.exp <= this.#clock.nowSeconds()) {
      return new HaloError('invalid_user_token', `${from}: token expired.`);
    }
    return claims;
  }

  /** A new entry: "sticky" when it is already inside the skew as it arrives (T3). */
  #entryFor(token: string, claims: TokenClaims): TokenEntry {
    return { token, claims, seq: ++this.#seq, sticky: !this.#isFresh(claims), rejected: false };
  }
}

function use(entry: TokenEntry): TokenUse {
  return { token: entry.token, seq: entry.seq };
}
