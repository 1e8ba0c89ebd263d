import { isSecret } from '../protocol.js';

/** The claims the SDK reads from a user token. The signature is the server's business. */
export interface TokenClaims {
  user_id?: unknown;
  exp?: number;
  iat?: number;
  /** Whether the token itself carries a `name` or `email` claim (trusted traits). */
  named: boolean;
  /** Whether a claim holds an identity secret (no-secrets-in-browser): the token is then refused. */
  secret?: boolean;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** base64url → UTF-8 text with the browser's own `atob` (no base64 module in the bundle). */
function decodeSegment(segment: string): string {
  const binary = atob(segment.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** Decodes a JWT's payload without verifying it; `null` when it is not a compact JWS. */
export function decodeClaims(token: string): TokenClaims | null {
  // Three base64url parts, nothing else: a JSON body that merely holds a token is not one.
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) return null;
  let claims: Record<string, unknown>;
  let text: string;
  try {
    claims = JSON.parse((text = decodeSegment(token.split('.')[1]!))) as Record<string, unknown>;
  } catch (error) {
    // Not base64url or not JSON: the caller reports `invalid_user_token`.
    void error;
    return null;
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return null;
  return {
    user_id: claims.user_id,
    exp: num(claims.exp),
    iat: num(claims.iat),
    named: typeof claims.name === 'string' || typeof claims.email === 'string',
    secret: isSecret(text),
  };
}
