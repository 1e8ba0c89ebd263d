import type { IncomingMessage } from 'node:http';
import { modeOf, originAllowed } from './config.js';
import { ApiError } from './http.js';
import { bad, optionalString, type Body } from './parse-request.js';
import type { RequestState } from './request-state.js';
import { safeLog } from './safe-log.js';
import type { HaloApiConfig, HaloLogger, ProjectConfig, VerificationMode } from './types.js';
import { verifyUserTokenSync, type VerifyFailure } from './verify-user-token.js';

/** Who a request speaks for, as the identity check judged it. Internal. */
export interface Identity {
  project: ProjectConfig;
  mode: VerificationMode;
  /** `user:<id>` or `visitor:<id>`: separate namespaces (history-isolation). */
  owner: string;
  userId: string | null;
  verified: boolean;
  /** This request's verified claims (trusted-claims-per-request); never stored. */
  trusted: Record<string, unknown>;
  /** The `Halo-Identity` header value. */
  header: string;
}

/** An unverified identity (anonymous, verification off, or a refused token under `monitor`). */
function unverified(project: ProjectConfig, mode: VerificationMode, owner: string, userId: string | undefined, reason: string): Identity {
  return { project, mode, owner, userId: userId ?? null, verified: false, trusted: {}, header: `unverified; reason=${reason}` };
}

/** The version a client names in a `Halo-SDK` header (e.g. `halo-widget/0.1.0`), or `unknown`: the SDK sends none today. */
function sdkVersionOf(req: IncomingMessage): string {
  const header = req.headers['halo-sdk'];
  return typeof header === 'string' && /^[\w.+/-]{1,60}$/.test(header) ? header : 'unknown';
}

/**
 * The identity check: finds the project by `widget_key`, checks the `Origin`, and judges the
 * `user_token` under the project's mode (verification-modes, user-id-must-match). Throws the
 * answer for a refused request; records what the error answer needs in `state`.
 */
export function checkIdentity(config: HaloApiConfig, logger: HaloLogger, req: IncomingMessage, body: Body, state: RequestState): Identity {
  const widgetKey = body.widget_key;
  if (widgetKey === undefined || widgetKey === null || widgetKey === '') throw bad('`widget_key` is required.');
  if (typeof widgetKey !== 'string') throw bad('`widget_key` must be a string.');
  // Looked up per request: the projects stay live objects.
  const project = config.projects.find((p) => p.widgetKey === widgetKey);
  if (!project) throw new ApiError(401, 'invalid_widget_key', 'Unknown widget key.');
  const origin = req.headers.origin;
  if (origin && !originAllowed(project, origin)) {
    state.originRefused = true;
    throw new ApiError(403, 'origin_not_allowed', `Origin ${JSON.stringify(origin.slice(0, 200))} is not allowed for this widget key.`);
  }
  const userId = optionalString(body, 'user_id');
  const visitorId = optionalString(body, 'visitor_id');
  // A token of the wrong type is judged like any bad token (token_invalid, by the mode):
  // only a string is kept, for redaction, and no token value is ever logged.
  const token = body.user_token;
  if (typeof token === 'string') state.token = token;
  if (userId === undefined && visitorId === undefined) throw bad('Either `user_id` or `visitor_id` is required.');
  const mode = modeOf(project);
  // The rollout report's counter: every judged request, refused ones included.
  const report = config.onIdentityResult;
  // A body with both is the user's: the user_id is the stronger claim, and the one verified.
  if (userId === undefined) {
    report?.(widgetKey, 'anonymous', null, sdkVersionOf(req));
    return unverified(project, mode, `visitor:${visitorId}`, userId, 'anonymous');
  }
  const owner = `user:${userId}`;
  if (mode === 'off') {
    report?.(widgetKey, 'verification_off', userId, sdkVersionOf(req));
    return unverified(project, mode, owner, userId, 'verification_off');
  }
  const result = verifyUserTokenSync(token ?? '', project.identitySecrets ?? [], { userId });
  report?.(widgetKey, result.ok ? 'verified' : result.reason, userId, sdkVersionOf(req));
  if (result.ok) return { project, mode, owner, userId, verified: true, trusted: result.trusted, header: 'verified' };
  const reason: VerifyFailure = result.reason;
  if (mode === 'enforce') {
    state.identityHeader = `unverified; reason=${reason}`;
    throw new ApiError(403, 'identity_verification_failed', `Identity verification failed: ${reason}.`, reason);
  }
  // Monitor: say why (never the token) and go on unverified. JSON quoting keeps a hostile
  // user_id from forging log lines.
  safeLog(logger, 'warn', () => [
    `[halo] monitor: unverified request for user ${JSON.stringify(userId)} on ${project.widgetKey}: ${reason}`,
  ]);
  return unverified(project, mode, owner, userId, reason);
}
