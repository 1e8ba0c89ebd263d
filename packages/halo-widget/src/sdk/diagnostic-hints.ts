// The development diagnostics' wording and the small checks behind it, apart from the
// Diagnostics class that prints them (diagnostics.ts). Development build only, like it.

/** The one `getUserToken` shape the docs show: checks `r.ok`, reads the token as text. */
export const TOKEN_SNIPPET =
  "const r = await fetch('/api/halo-token', { credentials: 'include' }); if (!r.ok) throw new Error('token endpoint ' + r.status); return r.text();";

/** What to do for each reason of an enforce-mode `403 identity_verification_failed`. */
export function reasonFix(reason: string, hasGetUserToken: boolean): string | null {
  switch (reason) {
    case 'token_expired':
      return hasGetUserToken
        ? "getUserToken gave a token the server also found past its exp. Sign a new token on every request to your token endpoint (never cache it), with exp at least 10 minutes ahead, and keep that server's clock in sync (NTP)."
        : 'the token expired and there is no getUserToken to fetch a new one. Pass getUserToken (see docs/troubleshooting.md), or hand a new token over with identify(userId, traits, { userToken }) from onIdentityExpired.';
    case 'token_invalid':
      return "the server could not verify the token. Sign it with HS256 and this project's identity secret exactly as written (the whole ha_secret_… string, as UTF-8 bytes), with numeric exp and iat claims; after a secret rotation, sign with the new secret.";
    case 'user_mismatch':
      return "the token's user_id differs from the user_id the SDK sent. Sign user_id with the same id you pass as userId to createHalo or identify().";
    case 'token_missing':
      return 'enforce mode needs a token with every identified call. Pass userToken and/or getUserToken together with userId, or keep the project in monitor mode while you roll out.';
    default:
      return null;
  }
}

export const originOf = (url: string): string | null => {
  try {
    return new URL(url).origin;
  } catch (error) {
    // `inline`, `eval` or an empty blockedURI: not a request this SDK made.
    void error;
    return null;
  }
};

export const pageOrigin = (): string | null => (typeof location === 'undefined' ? null : location.origin);

/** How a CSP source list names `origin`: `'self'` for the page's own origin. */
export const cspSource = (origin: string): string => (origin === pageOrigin() ? `'self' (this page's origin, ${origin})` : origin);

/** Whether `text` is the Halo API's JSON error shape, `{ "error": { "code": "…" } }`. */
export function isHaloErrorBody(text: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown } } | null;
    return typeof body?.error?.code === 'string';
  } catch (error) {
    // An HTML page or plain text: certainly not the Halo API.
    void error;
    return false;
  }
}

/** The Halo API's 404 for a path it does not serve (not one of its own "no such conversation"). */
export async function unknownPath(response: Response): Promise<boolean> {
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown; reason?: unknown } } | null;
    return body?.error?.code === 'not_found' && body.error.reason === 'unknown_path';
  } catch (error) {
    // Not JSON: the older check (is the apiBase option set?) speaks for it.
    void error;
    return false;
  }
}

/** What a `getUserToken` value that is not a JWT looks like, or `null` when it is not one of the usual mistakes. */
export function notAJwt(value: unknown): string | null {
  if (typeof value === 'object' && value !== null) return 'an object (a parsed JSON body?)';
  if (typeof value !== 'string') return null;
  const start = value.trimStart()[0];
  if (start === '<') return 'an HTML page (your token endpoint answered an error or login page)';
  if (start === '{' || start === '[' || start === '"') return 'JSON';
  return null;
}
