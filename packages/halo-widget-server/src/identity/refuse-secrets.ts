import type { IncomingMessage } from 'node:http';
import type { Identity } from './check-identity.js';
import { findSecret } from 'halo-widget/server';
import { SECRET_PREFIX } from 'halo-widget/protocol';
import { bad, MAX_BODY_DEPTH, type Body } from '../http/parse-request.js';
import { safeLog } from '../ops/safe-log.js';
import type { HaloLogger, ProjectConfig } from '../types.js';

/** The secrets of every project, without their common prefix and case-folded: what a leak may look like once copied or retyped. */
function secretBodies(projects: readonly ProjectConfig[]): string[] {
  const bodies: string[] = [];
  for (const project of projects) {
    for (const secret of Array.isArray(project.identitySecrets) ? project.identitySecrets : []) {
      const body = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
      // A secret's body is long and random; a short one would match ordinary text.
      if (body.length >= 16) bodies.push(body.toLowerCase());
    }
  }
  return bodies;
}

/** Where in `value` (strings and keys, at any depth the parser allowed) a secret body is, or null. */
function findBody(value: unknown, bodies: readonly string[], path: string): string | null {
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    return bodies.some((b) => lower.includes(b)) ? path || '(value)' : null;
  }
  if (typeof value !== 'object' || value === null) return null;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const named = Array.isArray(value)
      ? `${path}[${key}]`
      : /^[A-Za-z_$][\w$]*$/.test(key)
        ? `${path}${path ? '.' : ''}${key}`
        : `${path}[…]`;
    if (findBody(key, bodies, '') !== null) return `${named} (a key)`;
    const found = findBody((value as Record<string, unknown>)[key], bodies, named);
    if (found !== null) return found;
  }
  return null;
}

function refuse(logger: HaloLogger, where: string, path: string): never {
  safeLog(logger, 'warn', () => [
    `[halo] ${where}: refused a request whose ${path} contains an identity secret. Rotate that secret: it has left your backend.`,
  ]);
  throw bad(`The request contains an identity secret (in ${path}). Identity secrets must stay on your backend; rotate this one.`);
}

/**
 * no-secrets-in-browser, on the server's side, before the identity check (so a secret sent as
 * `user_token` gets the leak warning, not `token_invalid`): a string anywhere in the body, the
 * query string or a header that contains an identity secret of any project — with or without
 * its `ha_secret_` prefix, in any case — is refused with 400 and logged with where it was,
 * never the value. A secret that reached a browser must be rotated; storing it would spread it.
 */
export function refuseSecretsInRequest(projects: readonly ProjectConfig[], logger: HaloLogger, req: IncomingMessage, body: Body): void {
  const bodies = secretBodies(projects);
  if (bodies.length === 0) return;
  const query = (req.url ?? '').indexOf('?');
  if (query !== -1) {
    let decoded = req.url!.slice(query);
    try {
      decoded = decodeURIComponent(decoded);
    } catch (error) {
      // A malformed escape: the raw query string is searched instead.
      void error;
    }
    if (findBody(decoded, bodies, '') !== null) refuse(logger, 'request', 'query string');
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (findBody(value, bodies, '') !== null) refuse(logger, 'request', `header ${name.slice(0, 40)}`);
  }
  const path = findBody(body, bodies, '');
  if (path !== null) refuse(logger, 'request', path);
}

/** The verified claims of this request, after the identity check: a secret there is refused the same way. */
export function refuseSecrets(projects: readonly ProjectConfig[], logger: HaloLogger, who: Identity, body: Body): void {
  // Listed only when a string holds the secrets' prefix: a clean request builds no list.
  const secrets = () => projects.flatMap((p) => (Array.isArray(p.identitySecrets) ? p.identitySecrets : []));
  const found = findSecret(body, secrets, MAX_BODY_DEPTH) ?? findSecret(who.trusted, secrets, MAX_BODY_DEPTH, 'token claims');
  const claims = findBody(who.trusted, secretBodies(projects), 'token claims');
  if (!found && claims === null) return;
  if (found?.kind === 'too_deep') throw bad(`The body nests more than ${MAX_BODY_DEPTH} levels deep.`);
  refuse(logger, who.project.widgetKey, found?.kind === 'secret' ? found.path : claims!);
}
