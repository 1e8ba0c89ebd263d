import type { Identity } from './check-identity.js';
import { findSecret } from 'halo-widget/server';
import { bad, MAX_BODY_DEPTH, type Body } from '../http/parse-request.js';
import { safeLog } from '../ops/safe-log.js';
import type { HaloLogger, ProjectConfig } from '../types.js';

/**
 * no-secrets-in-browser, on the server's side: a string anywhere in the body (traits, ids, the
 * message, any field) or in this request's verified claims that CONTAINS an identity secret
 * of any project is refused with 400, and logged with where it was, never the value. A
 * secret that reached a browser must be rotated; storing it would spread it further.
 */
export function refuseSecrets(projects: readonly ProjectConfig[], logger: HaloLogger, who: Identity, body: Body): void {
  // Listed only when a string holds the secrets' prefix: a clean request builds no list.
  const secrets = () => projects.flatMap((p) => (Array.isArray(p.identitySecrets) ? p.identitySecrets : []));
  const found = findSecret(body, secrets, MAX_BODY_DEPTH) ?? findSecret(who.trusted, secrets, MAX_BODY_DEPTH, 'token claims');
  if (!found) return;
  if (found.kind === 'too_deep') throw bad(`The body nests more than ${MAX_BODY_DEPTH} levels deep.`);
  safeLog(logger, 'warn', () => [
    `[halo] ${who.project.widgetKey}: refused a request whose ${found.path} contains an identity secret. Rotate that secret: it has left your backend.`,
  ]);
  throw bad(`The request contains an identity secret (in ${found.path}). Identity secrets must stay on your backend; rotate this one.`);
}
