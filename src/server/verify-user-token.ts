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
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// Encoding a secret per call costs more than the HMAC itself; secrets are few and long-lived.
const keys = new Map<string, Buffer>();

function keyOf(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size > 1000) keys.clear();
    key = Buffer.from(secret, 'utf8');
    keys.set(secret, key);
  }
  return key;
}

function decodeJson(part: string): Record<string, unknown> | null {
  if (!BASE64URL.test(part)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch (error) {
    // Not JSON: the token is invalid, which is the answer.
    void error;
    return null;
  }
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
  if (typeof token !== 'string' || token.length > MAX_TOKEN_BYTES) return FAIL('token_invalid');
  const parts = token.split('.');
  if (parts.length !== 3) return FAIL('token_invalid');
  const [head, body, signature] = parts as [string, string, string];
  const header = decodeJson(head);
  // V1: exactly HS256. `none`, other HMACs and asymmetric algorithms all end here.
  if (!header || header.alg !== 'HS256' || header.crit !== undefined) return FAIL('token_invalid');
  if (!BASE64URL.test(signature)) return FAIL('token_invalid');
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== 32) return FAIL('token_invalid');
  const signed = `${head}.${body}`;
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  let valid = false;
  for (const secret of list) {
    if (typeof secret !== 'string' || secret === '') continue;
    const expected = createHmac('sha256', keyOf(secret)).update(signed).digest();
    if (timingSafeEqual(expected, given)) {
      valid = true;
      break;
    }
  }
  if (!valid) return FAIL('token_invalid');
  const claims = decodeJson(body);
  if (!claims) return FAIL('token_invalid');

  const tolerance = options.clockToleranceSeconds ?? 30;
  const now = Date.now() / 1000;
  const { exp, nbf, iat } = claims;
  for (const value of [exp, nbf, iat]) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) return FAIL('token_invalid');
  }
  if (typeof exp === 'number' && exp <= now - tolerance) return FAIL('token_expired');
  if (typeof nbf === 'number' && nbf > now + tolerance) return FAIL('token_invalid');
  if (typeof iat === 'number' && iat > now + tolerance) return FAIL('token_invalid');
  const userId = claims.user_id;
  if (typeof userId !== 'string' || userId === '') return FAIL('user_mismatch');
  if (options.userId !== undefined && userId !== options.userId) return FAIL('user_mismatch');

  const trusted: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(claims)) if (!REGISTERED.has(name)) trusted[name] = value;
  return { ok: true, claims: claims as JWTPayload, trusted };
}
