import type { TokenClaims } from './jwt.js';

// The token's freshness rules as pure functions of `now` (epoch seconds, the server's clock
// as estimated by ServerClock), so each rule can be tested without timers.

/** The refresh skew of one token: min(refreshSkewSeconds, half its lifetime) (refresh-within-skew). */
export function skewOf(claims: TokenClaims, refreshSkewSeconds: number): number {
  const { exp, iat } = claims;
  // Capped at half the lifetime, so a 60-second token is not refreshed before every call.
  return Math.min(refreshSkewSeconds, exp !== undefined && iat !== undefined ? (exp - iat) / 2 : Infinity);
}

/** refresh-within-skew: fresh while `exp - now > skew`; a token without `exp` is fresh until rejected. */
export function isFresh(claims: TokenClaims, now: number, refreshSkewSeconds: number): boolean {
  return claims.exp === undefined || claims.exp - now > skewOf(claims, refreshSkewSeconds);
}

/** accept-until-exp: a token is dead once `exp <= now`. */
export function isExpired(claims: TokenClaims, now: number): boolean {
  return claims.exp !== undefined && claims.exp <= now;
}

/**
 * Whether a token may be sent without refreshing first. A `sticky` one (already inside the
 * skew when getUserToken gave it) is used until it expires (accept-until-exp); until the
 * server's clock is known, only the server may call it expired (server-clock).
 */
export function isUsable(
  token: { claims: TokenClaims; sticky: boolean },
  now: number,
  clockKnown: boolean,
  refreshSkewSeconds: number,
): boolean {
  return token.sticky ? !clockKnown || !isExpired(token.claims, now) : isFresh(token.claims, now, refreshSkewSeconds);
}
