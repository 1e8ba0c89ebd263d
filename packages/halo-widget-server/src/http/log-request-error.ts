import { inspect } from 'node:util';
import { safeLog } from '../ops/safe-log.js';
import type { HaloLogger, ProjectConfig } from '../types.js';

/** Replaces every secret (and the request's token) in a string before it reaches a log. */
function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * Logs a request's unexpected error; with any project's identity secret or the request's
 * `token` in it, only its redacted text, never the object.
 */
export function logRequestError(
  logger: HaloLogger,
  projects: ProjectConfig[],
  message: string,
  error: unknown,
  token: string | undefined,
): void {
  safeLog(logger, 'error', () => {
    const secrets = projects.flatMap((p) => (Array.isArray(p.identitySecrets) ? p.identitySecrets : []));
    if (token) secrets.push(token);
    // An app's respond() or store may put anything in an error — its message, a property, a
    // cause, a thrown plain object. The check reads it as deeply as a logger printing it
    // would (stack, own properties, the cause chain).
    const text = inspect(error, { depth: 8, breakLength: Infinity, maxStringLength: null, maxArrayLength: null });
    return secrets.some((secret) => secret.length >= 8 && text.includes(secret)) ? [message, redact(text, secrets)] : [message, error];
  });
}
