import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { addressKey } from '../http/client-address.js';
import { ApiError } from '../http/http.js';
import { createRateLimiter } from '../limits/rate-limiter.js';
import { safeLog } from '../ops/safe-log.js';
import type { HaloLogger } from '../types.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Bits an operator token must carry at least, by {@link tokenEntropyBits}: `openssl rand -base64 32` has 256. */
export const MIN_TOKEN_BITS = 80;

/**
 * A conservative estimate of a token's entropy in bits: its length times log2 of the alphabet
 * its character classes span, capped by its distinct characters (so `aaaa…` or a repeated
 * word scores low). It cannot see a dictionary word, only refuse what is short or repetitive.
 */
export function tokenEntropyBits(token: string): number {
  let alphabet = 0;
  if (/[a-z]/.test(token)) alphabet += 26;
  if (/[A-Z]/.test(token)) alphabet += 26;
  if (/[0-9]/.test(token)) alphabet += 10;
  if (/[^a-zA-Z0-9]/.test(token)) alphabet += 33;
  const distinct = new Set(token).size;
  return token.length * Math.log2(Math.max(2, Math.min(alphabet, distinct * 2)));
}

/** Throws a `TypeError` for an operator token shorter than 16 characters or under {@link MIN_TOKEN_BITS} bits. */
export function checkOperatorToken(token: unknown): void {
  if (typeof token !== 'string' || token.length < 16) {
    throw new TypeError('Halo admin: the operator token (HALO_ADMIN_TOKEN) must be at least 16 characters.');
  }
  if (tokenEntropyBits(token) < MIN_TOKEN_BITS) {
    throw new TypeError(
      `Halo admin: the operator token (HALO_ADMIN_TOKEN) is too easy to guess (about ${Math.floor(tokenEntropyBits(token))} bits, ${MIN_TOKEN_BITS} needed). Generate one: openssl rand -base64 32`,
    );
  }
}

/**
 * Failed operator authentications an address may make: 10 at once, then one every 6 s. A
 * guesser gets 10 tries a minute instead of thousands a second; an operator who mistyped
 * waits seconds.
 */
const FAILED_AUTH_LIMIT = { burst: 10, perSecond: 1 / 6, maxKeys: 10_000 };
/** Log lines about failed authentication per address, at most one a minute (with the count since). */
const FAILED_AUTH_LOG_MS = 60_000;

/**
 * A check of `Authorization: Bearer <token>` against the operator token. Both sides are
 * hashed first, so the comparison takes the same time whatever the length or the first
 * wrong byte of what was sent; a missing header is hashed and compared like a wrong one.
 * Failed attempts are throttled per client (socket) address — once spent, the address gets
 * `429` with `Retry-After` before its token is even compared, right or wrong — and logged
 * (the address and a count, never what was sent).
 */
export function createBearerCheck(token: string, logger: HaloLogger = console): (req: IncomingMessage) => void {
  const expected = digest(token);
  const failures = createRateLimiter(FAILED_AUTH_LIMIT);
  const logged = new Map<string, { at: number; since: number }>();
  const report = (address: string, throttled: boolean) => {
    const now = Date.now();
    const entry = logged.get(address);
    if (entry && now - entry.at < FAILED_AUTH_LOG_MS) {
      entry.since += 1;
      return;
    }
    if (logged.size >= 10_000) logged.clear();
    logged.set(address, { at: now, since: 0 });
    const more = entry?.since ? ` (${entry.since} more since the last line)` : '';
    safeLog(logger, 'warn', () => [
      `[halo] admin: ${throttled ? 'throttled' : 'failed'} operator authentication from ${JSON.stringify(address)}${more}`,
    ]);
  };
  return (req) => {
    const address = addressKey(req.socket.remoteAddress ?? 'unknown');
    const gate = failures.check(address);
    if (!gate.ok) {
      report(address, true);
      throw new ApiError(429, 'rate_limited', 'Too many failed authentications; try again later.', undefined, {
        'Retry-After': String(gate.retryAfterSeconds),
      });
    }
    const header = req.headers.authorization ?? '';
    const given = /^Bearer +(\S+) *$/i.exec(header)?.[1] ?? '';
    const ok = timingSafeEqual(digest(given), expected);
    if (!ok || given === '') {
      failures.take(address);
      report(address, false);
      throw new ApiError(401, 'unauthorized', 'Send Authorization: Bearer <HALO_ADMIN_TOKEN>.', undefined, {
        'WWW-Authenticate': 'Bearer realm="halo-admin"',
      });
    }
  };
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The `Host` values this server answers to: the address and port the connection reached
 * (its listen address), `localhost` aliases when that is loopback, and the hosts of
 * `trustedOrigins` (a proxy's public origin).
 */
export function ownHosts(req: IncomingMessage, trustedOrigins: readonly string[] = []): Set<string> {
  const port = req.socket.localPort;
  let local = (req.socket.localAddress ?? '').toLowerCase();
  if (local.startsWith('::ffff:') && local.includes('.')) local = local.slice(7);
  const hosts = new Set<string>([`${local.includes(':') ? `[${local}]` : local}:${port}`]);
  if (local.startsWith('127.') || local === '::1') for (const name of LOOPBACK_NAMES) hosts.add(`${name}:${port}`);
  for (const origin of trustedOrigins) {
    if (URL.canParse(origin)) hosts.add(new URL(origin).host.toLowerCase());
  }
  return hosts;
}

/**
 * The origin this request was sent to, as a browser would spell it, when its `Host` is one of
 * {@link ownHosts}; null otherwise. Never derived from `Host` alone: under DNS rebinding an
 * attacker's page at `evil.example:8787` reaches this server with `Host: evil.example:8787`
 * and `Origin: http://evil.example:8787`, which would otherwise pass as same-origin.
 */
function ownOrigin(req: IncomingMessage, trustedOrigins: readonly string[]): string | null {
  const host = req.headers.host?.toLowerCase();
  if (!host || !ownHosts(req, trustedOrigins).has(host)) return null;
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return `${proto}://${host}`;
}

/**
 * Refuses a state-changing request a browser could have sent from another site: the body
 * must be `application/json` (a cross-site form or `text/plain` POST cannot be, without a
 * preflight this API never grants) and an `Origin`, when sent, must be this server's own
 * (or one of `trustedOrigins`, for a proxy that changes the host). `Host` must be the
 * server's listen address (or a trusted origin's host), so DNS rebinding cannot pass. A
 * request without `Origin` — the CLI, a server — still needs the bearer token.
 */
export function checkSameOriginJson(req: IncomingMessage, trustedOrigins: readonly string[] = []): void {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(415, 'unsupported_media_type', 'Send Content-Type: application/json.');
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    throw new ApiError(403, 'cross_site_refused', 'Admin changes are accepted from this server’s own page only.');
  // DNS rebinding: a Host that is not this server's listen address (nor a trusted proxy's) is refused, Origin or not.
  const host = req.headers.host?.toLowerCase();
  if (host && !ownHosts(req, trustedOrigins).has(host))
    throw new ApiError(
      403,
      'cross_site_refused',
      'Admin changes are accepted at this server’s own address only (see admin.trustedOrigins).',
    );
  if (origin === undefined) return;
  const lower = origin.toLowerCase();
  if (lower !== ownOrigin(req, trustedOrigins) && !trustedOrigins.some((o) => o.toLowerCase() === lower)) {
    throw new ApiError(403, 'cross_site_refused', 'Admin changes are accepted from this server’s own page only.');
  }
}
