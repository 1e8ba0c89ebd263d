import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JWTPayload } from 'jose';

/** Why a token was refused (SPEC §5 403 reasons). */
export type VerifyFailure = 'token_missing' | 'token_expired' | 'token_invalid' | 'user_mismatch';

export type VerifyResult =
  | { ok: true; claims: JWTPayload; trusted: Record<string, unknown> }
  | { ok: false; reason: VerifyFailure };

export interface VerifyUserTokenOptions {
  /** The `user_id` the request claims; the token's must equal it. */
  userId?: string;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. @default 30 */
  clockToleranceSeconds?: number;
}

const MAX_TOKEN_BYTES = 8 * 1024;
const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'user_id']);
// Three base64url segments; an HMAC-SHA256 signature is exactly 43 characters.
const COMPACT_HS256 = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;
// Encoding a secret per call costs more than the HMAC itself; secrets are few and long-lived.
const keys = new Map<string, Buffer>();
// Nearly every token of a project has the same header: judge each header string once.
const headers = new Map<string, boolean>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= 256) cache.clear();
  cache.set(key, value);
  return value;
}

function keyOf(secret: string): Buffer {
  return keys.get(secret) ?? remember(keys, secret, Buffer.from(secret, 'utf8'));
}

function parseSegment(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch (error) {
    // Not JSON: the token is invalid, which is the answer.
    void error;
    return null;
  }
}

/** V1: exactly HS256, no `crit`. `none`, other HMACs and asymmetric algorithms all fail here. */
function isHs256Header(head: string): boolean {
  const cached = headers.get(head);
  if (cached !== undefined) return cached;
  const header = parseSegment(head);
  return remember(headers, head, header !== null && header.alg === 'HS256' && header.crit === undefined);
}

const FAIL = (reason: VerifyFailure): VerifyResult => ({ ok: false, reason });

/**
 * Verifies a user token (SPEC V1–V4, V6): HS256 only, signed with any of `secrets`,
 * `exp`/`nbf`/`iat` within the clock tolerance, `user_id` equal to `options.userId`.
 * Never throws for a bad token: the reason says what was wrong. The HMAC is checked with
 * node:crypto directly (constant-time compare), the fastest correct path.
 */
export async function verifyUserToken(
  token: string,
  secrets: string | string[],
  options: VerifyUserTokenOptions = {},
): Promise<VerifyResult> {
  return verifyUserTokenSync(token, secrets, options);
}

/** The synchronous core of {@link verifyUserToken}, for the API's hot path. */
export function verifyUserTokenSync(token: unknown, secrets: string | string[], options: VerifyUserTokenOptions = {}): VerifyResult {
  if (token === undefined || token === null || token === '') return FAIL('token_missing');
  if (typeof token !== 'string' || token.length > MAX_TOKEN_BYTES || !COMPACT_HS256.test(token)) return FAIL('token_invalid');
  const firstDot = token.indexOf('.');
  const lastDot = token.lastIndexOf('.');
  if (!isHs256Header(token.slice(0, firstDot))) return FAIL('token_invalid');
  const signed = token.slice(0, lastDot);
  const given = Buffer.from(token.slice(lastDot + 1), 'base64url');
  if (given.length !== 32) return FAIL('token_invalid');
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  let valid = false;
  for (const secret of list) {
    if (typeof secret !== 'string' || secret === '') continue;
    if (timingSafeEqual(createHmac('sha256', keyOf(secret)).update(signed).digest(), given)) {
      valid = true;
      break;
    }
  }
  if (!valid) return FAIL('token_invalid');
  const claims = parseSegment(token.slice(firstDot + 1, lastDot));
  if (!claims) return FAIL('token_invalid');

  const tolerance = options.clockToleranceSeconds ?? 30;
  const now = Date.now() / 1000;
  const { exp, nbf, iat } = claims;
  if (!isTime(exp) || !isTime(nbf) || !isTime(iat)) return FAIL('token_invalid');
  if (exp !== undefined && (exp as number) <= now - tolerance) return FAIL('token_expired');
  if (nbf !== undefined && (nbf as number) > now + tolerance) return FAIL('token_invalid');
  if (iat !== undefined && (iat as number) > now + tolerance) return FAIL('token_invalid');
  const userId = claims.user_id;
  if (typeof userId !== 'string' || userId === '') return FAIL('user_mismatch');
  if (options.userId !== undefined && userId !== options.userId) return FAIL('user_mismatch');

  const trusted: Record<string, unknown> = {};
  // Own enumerable keys of a JSON.parse result; '__proto__' would set the prototype instead.
  for (const name in claims) if (!REGISTERED.has(name) && name !== '__proto__') trusted[name] = claims[name];
  return { ok: true, claims: claims as JWTPayload, trusted };
}

function isTime(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isFinite(value));
}
