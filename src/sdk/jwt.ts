import { decodeJwt } from 'jose';

/** The claims the SDK reads from a user token. The signature is the server's business. */
export interface TokenClaims {
  user_id?: unknown;
  exp?: number;
  iat?: number;
  /** Whether the token itself carries a `name` or `email` claim (trusted traits). */
  named: boolean;
}

/** Decodes a JWT's payload without verifying it; `null` when it is not a JWT. */
export function decodeClaims(token: string): TokenClaims | null {
  try {
    const claims = decodeJwt(token);
    return {
      user_id: claims.user_id,
      exp: typeof claims.exp === 'number' ? claims.exp : undefined,
      iat: typeof claims.iat === 'number' ? claims.iat : undefined,
      named: typeof claims.name === 'string' || typeof claims.email === 'string',
    };
  } catch (error) {
    // Not a JWT: the caller reports `invalid_user_token`; the decode error adds nothing.
    void error;
    return null;
  }
}
