import { createHmac } from 'node:crypto';
import { isSecret } from '../protocol.js';
import { timeSpanSeconds } from './time-span.js';

/** Claims of a user token: `user_id`, plus any trusted traits (`name`, `email`, `plan`, …). */
export interface UserTokenClaims {
  user_id: string;
  [claim: string]: unknown;
}

export interface SignUserTokenOptions {
  /**
   * Lifetime: seconds, or a jose time span such as `'15m'` or `'24h'`. Zero or a negative
   * number gives a token that is already expired, as in jsonwebtoken (handy in tests).
   * @default '24h'
   */
  expiresIn?: number | string;
}

// The protected header is always the same: HS256, typ JWT (as jose's SignJWT wrote it).
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/**
 * Signs a user token (HS256) with the project's identity secret, on the app's backend.
 * The HMAC key is the secret's UTF-8 bytes, prefix included (secret-bytes-as-written), so any JWT library
 * signing with the same string interoperates.
 *
 * Signed with node:crypto alone, not jose: jose needs the Web globals (`crypto.subtle`,
 * `TextEncoder`, `structuredClone`), which a Jest jsdom environment does not have.
 */
export async function signUserToken(claims: UserTokenClaims, secret: string, options: SignUserTokenOptions = {}): Promise<string> {
  if (!isSecret(secret)) {
    throw new TypeError("signUserToken: the secret must be the project's identity secret (ha_secret_…).");
  }
  if (typeof claims !== 'object' || claims === null || typeof claims.user_id !== 'string' || claims.user_id === '') {
    throw new TypeError('signUserToken: claims.user_id must be a non-empty string.');
  }
  const expiresIn = options.expiresIn ?? '24h';
  const now = Math.floor(Date.now() / 1000);
  let exp: number;
  if (typeof expiresIn === 'number') {
    if (!Number.isFinite(expiresIn)) throw new TypeError(`signUserToken: expiresIn must be a finite number of seconds, got ${expiresIn}.`);
    exp = now + Math.floor(expiresIn);
  } else if (typeof expiresIn === 'string') {
    const seconds = timeSpanSeconds(expiresIn);
    if (seconds === null) {
      throw new TypeError(`signUserToken: invalid expiresIn ${JSON.stringify(expiresIn)} (use seconds or e.g. '15m', '24h').`);
    }
    exp = now + seconds;
  } else {
    throw new TypeError(`signUserToken: expiresIn must be seconds or a time span such as '15m' (got ${typeof expiresIn}).`);
  }
  // A claim named iat or exp keeps its place in the object but takes the computed value.
  const payload: Record<string, unknown> = { ...claims };
  payload.iat = now;
  payload.exp = exp;
  const signingInput = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = createHmac('sha256', Buffer.from(secret, 'utf8')).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}
