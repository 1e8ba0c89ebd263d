import { identityExpired, invalidUserToken, secretExposed, tokenRefreshFailed, tokenUserMismatch, type HaloError } from '../errors.js';
import { CLOCK_TOLERANCE_SECONDS, isSecret } from '../protocol.js';
import type { IdentityExpiredEvent, IdentityExpiredReason } from '../types.js';
import type { ServerClock } from './clock.js';
import { isExpired, isFresh, isUsable } from './freshness.js';
import { decodeClaims, type TokenClaims } from './jwt.js';

/** The token a call carries, and which one it was (`seq` grows with every new token). */
export interface TokenUse {
  token: string | null;
  seq: number;
}

interface TokenEntry {
  token: string;
  claims: TokenClaims;
  seq: number;
  /** Already inside the skew when it arrived: used until it expires (accept-until-exp). */
  sticky: boolean;
  /** The server answered 403 to it. */
  rejected: boolean;
}

/** What the token state tells its client. */
export interface TokenHost {
  report(error: HaloError): void;
  changed(): void;
  expired(event: IdentityExpiredEvent): void;
  /** A token arrived while expired: the outbox may try again. */
  recovered(): void;
}

/** The server's clock-tolerance on `exp`, in seconds. */

/** What an anonymous call, or one of a user without any token, carries. */
export const NO_TOKEN: TokenUse = { token: null, seq: 0 };

const use = (entry: TokenEntry): TokenUse => ({ token: entry.token, seq: entry.seq });

/**
 * One user session's token and expired episode: which token is current, whether a token
 * may be used for this user (token-matches-user, no-secrets-in-browser, accept-until-exp),
 * and when the app must be told to sign the user in again (once per episode).
 */
export class TokenState {
  readonly userId: string | null;
  /** Set while the expired episode lasts: the local time it was declared. */
  expiredAt: number | null = null;
  #entry: TokenEntry | null = null;
  #seq = 0;
  /** The expired episode's one error: thrown to every call it stops, so onError hears it once. */
  #episode: HaloError | null = null;
  readonly #arrivals = new Set<() => void>();
  readonly #clock: ServerClock;
  readonly #skew: number;
  readonly #host: TokenHost;

  constructor(userId: string | null, clock: ServerClock, refreshSkewSeconds: number, host: TokenHost) {
    this.userId = userId;
    this.#clock = clock;
    this.#skew = refreshSkewSeconds;
    this.#host = host;
  }

  /** The sequence number of the newest token. */
  get seq(): number {
    return this.#seq;
  }

  /** `exp` of the token in use, in epoch seconds. */
  get expiresAt(): number | null {
    return this.#entry?.claims.exp ?? null;
  }

  /** Whether the token in use has a `name` or `email` claim. */
  get namesUser(): boolean {
    return this.#entry?.claims.named ?? false;
  }

  /** The token to send without refreshing, if there is one (refresh-within-skew). */
  usable(): TokenUse | null {
    const entry = this.#entry;
    return entry && !entry.rejected && isUsable(entry, this.#clock.nowSeconds(), this.#clock.known, this.#skew) ? use(entry) : null;
  }

  /** After a failed refresh: the token in use while it is not rejected and not yet expired. */
  stillValid(): TokenUse | null {
    const entry = this.#entry;
    return entry && !entry.rejected && !isExpired(entry.claims, this.#clock.nowSeconds()) ? use(entry) : null;
  }

  /** Whatever token there is, even a refused one: without getUserToken the server judges it. */
  any(): TokenUse {
    return this.#entry ? use(this.#entry) : NO_TOKEN;
  }

  /** A token newer than `used` that the server has not refused. */
  newerThan(used: TokenUse): TokenUse | null {
    const entry = this.#entry;
    return entry && entry.seq > used.seq && !entry.rejected ? use(entry) : null;
  }

  /** The server answered 403 to `used`. */
  markRejected(used: TokenUse): void {
    if (this.#entry?.seq === used.seq) this.#entry.rejected = true;
  }

  /**
   * Whether `token` may be used for this session's user: not a secret, a JWT, for this user
   * (token-matches-user) and — once the server's clock is known — not past `exp`.
   */
  check(token: unknown, from: string, checkExp: boolean): TokenClaims | HaloError {
    const claims = typeof token === 'string' ? decodeClaims(token) : null;
    // A secret anywhere: the token's text, or any claim's (the JSON of the payload).
    if (isSecret(token) || claims?.secret) return secretExposed(from);
    if (!claims) return invalidUserToken(from, 'not a JWT');
    if (claims.user_id !== this.userId) return tokenUserMismatch(from);
    if (checkExp && this.#clock.known && isExpired(claims, this.#clock.nowSeconds())) return invalidUserToken(from, 'token expired');
    return claims;
  }

  /** A token handed over by the app (options or identify); a bad one is reported, never used. */
  offer(token: string): void {
    const claims = this.check(token, 'userToken', false);
    if ('code' in claims) this.#host.report(claims);
    // The app's own token is never sticky: it is refreshed within the skew like any other.
    else this.#install(token, claims, false);
  }

  /** A token from getUserToken (accept-until-exp), installed; or a token_refresh_failed. */
  accept(token: unknown): TokenUse {
    const claims = this.check(token, 'getUserToken', true);
    if ('code' in claims) {
      this.#host.report(claims);
      throw tokenRefreshFailed(claims.message, claims);
    }
    return this.#install(token as string, claims);
  }

  /**
   * A token another tab fetched. Used only when it names this session's user and is better
   * than ours; silently ignored otherwise (token-matches-user: a broadcast is not trusted).
   */
  receiveShared(token: string): void {
    const current = this.#entry;
    if (current?.token === token) return;
    const claims = this.check(token, 'shared', true);
    if ('code' in claims) return;
    const better = !current || current.rejected || !this.usable() || (claims.exp ?? Infinity) > (current.claims.exp ?? Infinity);
    if (better) this.#install(token, claims);
  }

  /** Resolves when a token newer than `seq` is installed, or after `ms`. */
  arrivedSince(seq: number, ms: number): Promise<void> {
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

  /**
   * Declares the expired episode and returns its `identity_expired` error; the app hears of
   * the episode once (onIdentityExpired, and onError, which sees the same error object).
   */
  expire(reason: IdentityExpiredReason, cause?: unknown): HaloError {
    if (this.userId === null) return identityExpired(reason, cause);
    if (this.expiredAt === null) {
      this.expiredAt = this.#clock.localMs();
      this.#host.changed();
    }
    if (!this.#episode) {
      this.#episode = identityExpired(reason, cause);
      this.#host.expired({ userId: this.userId, reason });
    }
    return this.#episode;
  }

  /**
   * Whether the token in use is past `exp` by more than the server's clock-tolerance (30 s),
   * by a known server clock: no server in enforce mode would accept it (server-clock).
   */
  get pastTolerance(): boolean {
    const exp = this.#entry?.claims.exp;
    return exp !== undefined && this.#clock.known && exp + CLOCK_TOLERANCE_SECONDS <= this.#clock.nowSeconds();
  }

  /** Whether the token in use is past `exp` by the server's clock (then never `verified`). */
  get pastExp(): boolean {
    const entry = this.#entry;
    return !!entry && isExpired(entry.claims, this.#clock.nowSeconds());
  }

  /**
   * The server accepted a call of this user: the episode, if any, is over, and a later
   * expiry is a new one that the app hears about again.
   */
  confirmed(): void {
    if (this.expiredAt === null) this.#episode = null;
  }

  /** A new token: "sticky" when it is already inside the skew as it arrives (accept-until-exp). */
  #install(token: string, claims: TokenClaims, sticky = !isFresh(claims, this.#clock.nowSeconds(), this.#skew)): TokenUse {
    const entry: TokenEntry = { token, claims, seq: ++this.#seq, sticky, rejected: false };
    this.#entry = entry;
    this.#arrivals.forEach((arrived) => arrived());
    const wasExpired = this.expiredAt !== null;
    // Not the end of the episode yet (see confirmed()): a new token lets the queue try again.
    this.expiredAt = null;
    this.#host.changed();
    if (wasExpired) this.#host.recovered();
    return use(entry);
  }
}
