import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../http/http.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * A check of `Authorization: Bearer <token>` against the operator token. Both sides are
 * hashed first, so the comparison takes the same time whatever the length or the first
 * wrong byte of what was sent; a missing header is hashed and compared like a wrong one.
 */
export function createBearerCheck(token: string): (req: IncomingMessage) => void {
  const expected = digest(token);
  return (req) => {
    const header = req.headers.authorization ?? '';
    const given = /^Bearer +(\S+) *$/i.exec(header)?.[1] ?? '';
    const ok = timingSafeEqual(digest(given), expected);
    if (!ok || given === '') {
      throw new ApiError(401, 'unauthorized', 'Send Authorization: Bearer <HALO_ADMIN_TOKEN>.', undefined, {
        'WWW-Authenticate': 'Bearer realm="halo-admin"',
      });
    }
  };
}

/** The origin this request was sent to, as a browser would spell it (`http://host:port`). */
function ownOrigin(req: IncomingMessage): string | null {
  const host = req.headers.host;
  if (!host) return null;
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return `${proto}://${host}`.toLowerCase();
}

/**
 * Refuses a state-changing request a browser could have sent from another site: the body
 * must be `application/json` (a cross-site form or `text/plain` POST cannot be, without a
 * preflight this API never grants) and an `Origin`, when sent, must be this server's own
 * (or one of `trustedOrigins`, for a proxy that changes the host). A request without
 * `Origin` — the CLI, a server — still needs the bearer token.
 */
export function checkSameOriginJson(req: IncomingMessage, trustedOrigins: readonly string[] = []): void {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(415, 'unsupported_media_type', 'Send Content-Type: application/json.');
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    throw new ApiError(403, 'cross_site_refused', 'Admin changes are accepted from this server’s own page only.');
  if (origin === undefined) return;
  const lower = origin.toLowerCase();
  if (lower !== ownOrigin(req) && !trustedOrigins.some((o) => o.toLowerCase() === lower)) {
    throw new ApiError(403, 'cross_site_refused', 'Admin changes are accepted from this server’s own page only.');
  }
}
