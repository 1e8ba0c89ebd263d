import { isUtf8 } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { CLOCK_TOLERANCE_SECONDS, type TokenRejectionReason } from '../protocol.js';

/** Why a token was refused: the `reason` of a 403 in the wire protocol. */
export type VerifyFailure = TokenRejectionReason;

/** The outcome of {@link verifyUserToken}: the claims and trusted traits, or why not. */
export type VerifyResult =
  | { ok: true; claims: JWTPayload; trusted: Record<string, unknown> }
  | {
      ok: false;
      reason: VerifyFailure;
      /** Set when a `token_invalid` is for the token's lifetime: `exp` missing or past `maxLifetimeSeconds` (for logs; the wire says `token_invalid`). */
      detail?: 'lifetime';
    };

/** Options of {@link verifyUserToken}. */
export interface VerifyUserTokenOptions {
  /** The `user_id` the request claims; the token's must equal it. @default no check beyond a non-empty string */
  userId?: string;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. @default 30 */
  clockToleranceSeconds?: number;
  /**
   * The longest lifetime a token may have left: a token without `exp`, or whose `exp` is
   * further away than this (plus the clock tolerance), is `token_invalid` with
   * `detail: 'lifetime'`. @default no maximum
   */
  maxLifetimeSeconds?: number;
}

const MAX_TOKEN_BYTES = 8 * 1024;
const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'user_id']);
// One test for the whole token: three base64url segments (the third may be empty, as in
// `alg: none`, which the header check then refuses).
const SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const CACHE_LIMIT = 1000;
// Secrets are few and long-lived: each is encoded once, not per call (docs/perf-notes.md).
const keys = new Map<string, Buffer>();
// Nearly every token of a project carries the same header segment, so its verdict is cached.
const headers = new Map<string, boolean>();

/** `map`'s value for `key`, computed once; the map is emptied when it reaches the limit. */
function remember<V>(map: Map<string, V>, key: string, compute: (key: string) => V): V {
  let value = map.get(key);
  if (value === undefined) {
    if (map.size >= CACHE_LIMIT) map.clear();
    value = compute(key);
    map.set(key, value);
  }
  return value;
}

const keyOf = (secret: string): Buffer => remember(keys, secret, (s) => Buffer.from(s, 'utf8'));

/**
 * A segment's JSON object, or null. Decoded as strictly as RFC 7515 asks and as jose does:
 * a length that leaves a partial byte, or bytes that are not UTF-8, make no object (a
 * lenient decoder would drop the one and replace the other, and accept what jose refuses).
 * One leading byte order mark is skipped, as a `TextDecoder` does.
 */
function decodeJson(part: string): Record<string, unknown> | null {
  if (part.length % 4 === 1) return null;
  const bytes = Buffer.from(part, 'base64url');
  if (!isUtf8(bytes)) return null;
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    // Not JSON: the token is invalid, and that is the whole answer.
    if (error instanceof SyntaxError) return null;
    throw error;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** hs256-only: exactly HS256, and no `crit` extension we would have to understand. */
function headerIsHs256(head: string): boolean {
  return remember(headers, head, (segment) => {
    const header = decodeJson(segment);
    return header !== null && header.alg === 'HS256' && header.crit === undefined;
  });
}

const FAIL = (reason: VerifyFailure): VerifyResult => ({ ok: false, reason });
const LIFETIME: VerifyResult = Object.freeze({ ok: false, reason: 'token_invalid', detail: 'lifetime' });

/**
 * Verifies a user token: HS256 only (hs256-only), signed with any of `secrets` (the key is
 * each secret's UTF-8 bytes: secret-bytes-as-written), `exp`/`nbf`/`iat` within the clock
 * tolerance (clock-tolerance), and a non-empty `user_id` equal to `options.userId`
 * (user-id-must-match). Never throws for a bad token: `reason` says what was wrong.
 * `trusted` holds the claims other than the registered ones and `user_id`: the traits the
 * app's backend vouches for, for this request only (trusted-claims-per-request).
 */
export async function verifyUserToken(
  token: string,
  secrets: string | string[],
  options: VerifyUserTokenOptions = {},
): Promise<VerifyResult> {
  return verifyUserTokenSync(token, secrets, options);
}

/** The synchronous core of {@link verifyUserToken}, for the API's hot path. Internal. */
export function verifyUserTokenSync(
  token: unknown,
  secrets: string | readonly string[],
  options: VerifyUserTokenOptions = {},
): VerifyResult {
  if (token === undefined || token === null || token === '') return FAIL('token_missing');
  // Length in UTF-16 units bounds the bytes of an ASCII token; anything else fails SHAPE.
  if (typeof token !== 'string' || token.length > MAX_TOKEN_BYTES || !SHAPE.test(token)) return FAIL('token_invalid');
  const firstDot = token.indexOf('.');
  const lastDot = token.lastIndexOf('.');
  if (!headerIsHs256(token.slice(0, firstDot))) return FAIL('token_invalid');
  const signature = token.slice(lastDot + 1);
  // An HS256 MAC is 32 bytes: 43 base64url characters.
  if (signature.length !== 43) return FAIL('token_invalid');
  // The canonical base64url spelling is compared (constant time) instead of decoding the
  // given one: cheaper, and it refuses the other spellings of a valid MAC (spare bits set),
  // as jsonwebtoken does.
  const given = Buffer.from(signature, 'latin1');
  const signed = token.slice(0, lastDot);
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  let valid = false;
  for (const secret of list) {
    if (typeof secret !== 'string' || secret === '') continue;
    const expected = Buffer.from(createHmac('sha256', keyOf(secret)).update(signed).digest('base64url'), 'latin1');
    if (timingSafeEqual(expected, given)) {
      valid = true;
      break;
    }
  }
  if (!valid) return FAIL('token_invalid');
  const claims = decodeJson(token.slice(firstDot + 1, lastDot));
  if (!claims) return FAIL('token_invalid');

  const tolerance = options.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS;
  // Whole seconds, as jose and jsonwebtoken count: a claim with a fraction gets the same verdict.
  const now = Math.floor(Date.now() / 1000);
  const { exp, nbf, iat } = claims;
  if (!isNumericDate(exp) || !isNumericDate(nbf) || !isNumericDate(iat)) return FAIL('token_invalid');
  if (exp !== undefined && exp <= now - tolerance) return FAIL('token_expired');
  if (nbf !== undefined && nbf > now + tolerance) return FAIL('token_invalid');
  if (iat !== undefined && iat > now + tolerance) return FAIL('token_invalid');
  const userId = claims.user_id;
  if (typeof userId !== 'string' || userId === '') return FAIL('user_mismatch');
  if (options.userId !== undefined && userId !== options.userId) return FAIL('user_mismatch');
  const maxLifetime = options.maxLifetimeSeconds;
  if (maxLifetime !== undefined && (exp === undefined || exp > now + maxLifetime + tolerance)) return LIFETIME;

  const trusted: Record<string, unknown> = {};
  for (const name in claims) {
    if (REGISTERED.has(name)) continue;
    // A `__proto__` claim stays a plain property instead of replacing the prototype.
    if (name === '__proto__')
      Object.defineProperty(trusted, name, { value: claims[name], enumerable: true, writable: true, configurable: true });
    else trusted[name] = claims[name];
  }
  return { ok: true, claims, trusted };
}

function isNumericDate(value: unknown): value is number | undefined {
  return value === undefined || (typeof value === 'number' && Number.isFinite(value));
}
