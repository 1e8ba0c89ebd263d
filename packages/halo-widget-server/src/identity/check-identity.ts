import type { IncomingMessage } from 'node:http';
import { maxLifetimeOf, modeOf, originAllowed } from '../config.js';
import { clientAddress } from '../http/client-address.js';
import { ApiError } from '../http/http.js';
import { bad, optionalString, type Body } from '../http/parse-request.js';
import type { RequestLimiter } from '../limits/request-limiter.js';
import type { RequestState } from '../http/request-state.js';
import { safeLog } from '../ops/safe-log.js';
import type { DecisionFields, DecisionLog } from '../ops/decision-log.js';
import { metrics } from '../ops/metrics.js';
import type { HaloApiConfig, HaloLogger, IdentityOutcome, ProjectConfig, VerificationMode } from '../types.js';
import { verifyUserTokenSync, type VerifyResult } from 'halo-widget/server';

/** What the identity check keeps between requests. Internal. */
export interface IdentityContext {
  config: HaloApiConfig;
  logger: HaloLogger;
  /** null when `rateLimit` is false. */
  limiter: RequestLimiter | null;
  /** Users already warned about a token without `exp` (bounded: emptied when full). */
  warnedNoExp: Set<string>;
  /** The bounded log of refused and unverified identified requests. */
  decisions: DecisionLog;
}

const WARNED_LIMIT = 10_000;

/** One warning per project and user for a verified token without `exp`, naming the fix. */
function warnNoExp(context: IdentityContext, project: ProjectConfig, userId: string): void {
  const key = `${project.widgetKey.length}:${project.widgetKey}${userId}`;
  if (context.warnedNoExp.has(key)) return;
  if (context.warnedNoExp.size >= WARNED_LIMIT) context.warnedNoExp.clear();
  context.warnedNoExp.add(key);
  safeLog(context.logger, 'warn', () => [
    `[halo] ${project.widgetKey}: the token of user ${JSON.stringify(userId)} has no exp, so it is valid forever if it leaks. ` +
      'Sign tokens with an expiry (signUserToken sets 24h by default; expiresIn changes it), and set maxTokenLifetime (e.g. "24h") on the project to refuse tokens without one.',
  ]);
}

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

/** The `Halo-Identity` result of an identity: `verified`, or the reason of `unverified; reason=…`. */
function outcomeOf(who: Identity): IdentityOutcome {
  return who.verified ? 'verified' : (who.header.slice(who.header.indexOf('=') + 1) as IdentityOutcome);
}

/** The version a client names in a `Halo-SDK` header (e.g. `halo-widget/0.1.0`), or `unknown`: the SDK sends none today. */
function sdkVersionOf(req: IncomingMessage): string {
  const header = req.headers['halo-sdk'];
  return typeof header === 'string' && /^[\w.+/-]{1,60}$/.test(header) ? header : 'unknown';
}

/**
 * The identity check: finds the project by `widget_key`, checks the `Origin`, applies the rate
 * limit (the client address's budget before the token is looked at, then the verified user's
 * or the address's: docs/security.md), and judges the `user_token` under the project's mode
 * (verification-modes, user-id-must-match, `maxTokenLifetime`). Throws the answer for a
 * refused request (429, 403, 400); records what the error answer needs in `state`. `address`
 * is the client address the limiter keyed the request by.
 */
export function checkIdentity(context: IdentityContext, req: IncomingMessage, body: Body, state: RequestState, address: string): Identity {
  const { config, limiter } = context;
  const widgetKey = body.widget_key;
  if (widgetKey === undefined || widgetKey === null || widgetKey === '') throw bad('`widget_key` is required.');
  if (typeof widgetKey !== 'string') throw bad('`widget_key` must be a string.');
  // Looked up per request: the projects stay live objects.
  const project = config.projects.find((p) => p.widgetKey === widgetKey);
  if (!project) throw new ApiError(401, 'invalid_widget_key', 'Unknown widget key.');
  const origin = req.headers.origin;
  if (origin && !originAllowed(project, origin)) {
    state.originRefused = true;
    // The browser shows only a CORS error (the 403 carries no Allow-Origin): the log names the fix.
    context.decisions.log(
      {
        requestId: state.requestId,
        widgetKey: project.widgetKey,
        mode: modeOf(project),
        decision: 'refused',
        reason: 'origin_not_allowed',
        userId: null,
        origin: origin.slice(0, 200),
      },
      `[halo] ${project.widgetKey}: refused a browser call from Origin ${JSON.stringify(origin.slice(0, 200))}: add it to the project's allowedOrigins (admin page or config) if it is your app's page`,
    );
    throw new ApiError(403, 'origin_not_allowed', `Origin ${JSON.stringify(origin.slice(0, 200))} is not allowed for this widget key.`);
  }
  // A token of the wrong type is judged like any bad token (token_invalid, by the mode):
  // only a string is kept, for redaction, and no token value is ever logged.
  const token = body.user_token;
  if (typeof token === 'string') state.token = token;
  // request-limits, before the token is looked at (limits/request-limiter.ts decides): a client
  // whose address has spent its budget is refused at once — before a malformed identity could
  // get its 400 or reach the rollout counter — unless it brings a token that may verify (a
  // verified user behind a busy shared address keeps their own budget).
  if (limiter) {
    try {
      limiter.beforeToken(address, project, typeof token === 'string' && token !== '');
    } catch (error) {
      refusedByLimit(context, 'address', project, body, state);
      throw error;
    }
  }
  let judged: Judged;
  try {
    judged = judge(context, project, body, token);
  } catch (error) {
    // A malformed request (400) spends its address's budget: the API charges every refusal.
    state.refused = true;
    throw error;
  }
  const { who, refusal, warning, decision } = judged;
  metrics.identityDecisions.inc({ mode: who.mode, result: outcomeOf(who) });
  // The rollout report's counter: every judged request, refused ones included.
  config.onIdentityResult?.(
    project.widgetKey,
    outcomeOf(who),
    who.userId,
    sdkVersionOf(req),
    address || clientAddress(req, config.trustProxy),
  );
  // Only a verified request spends its user's budget: nobody can drain someone else's.
  // A 429 says nothing of the token: a flood of forged ones learns no verdict, logs nothing.
  if (limiter) {
    try {
      limiter.afterVerdict(address, project, who.verified ? who.userId : null);
    } catch (error) {
      refusedByLimit(context, 'identity', project, body, state);
      throw error;
    }
  }
  if (warning) safeLog(context.logger, 'warn', () => [warning]);
  if (decision) context.decisions.log({ ...decision.fields, requestId: state.requestId }, decision.message);
  if (refusal) {
    state.identityHeader = who.header;
    throw refusal;
  }
  return who;
}

/** An identity, with the 403 to answer instead under `enforce`, and the lines to log. */
interface Judged {
  who: Identity;
  refusal?: ApiError;
  /** A line logged as is (the fix for a token without `exp`). */
  warning?: string;
  /** A refused or unverified identified request: through the bounded decision log. */
  decision?: { fields: DecisionFields; message: string };
}

/** A 429: counted, and logged (bounded) when the request names a user. */
function refusedByLimit(
  context: IdentityContext,
  stage: 'address' | 'identity',
  project: ProjectConfig,
  body: Body,
  state: RequestState,
): void {
  metrics.rateLimitRefusals.inc({ stage });
  const userId = typeof body.user_id === 'string' ? body.user_id : null;
  if (userId === null) return;
  context.decisions.log(
    {
      requestId: state.requestId,
      widgetKey: project.widgetKey,
      mode: modeOf(project),
      decision: 'refused',
      reason: 'rate_limited',
      userId,
    },
    `[halo] rate limit: refused a request for user ${JSON.stringify(userId)} on ${project.widgetKey} (${stage} budget spent)`,
  );
}

/** The identity a request speaks for, and under `enforce` the 403 to answer instead. */
function judge(context: IdentityContext, project: ProjectConfig, body: Body, token: unknown): Judged {
  const userId = optionalString(body, 'user_id');
  const visitorId = optionalString(body, 'visitor_id');
  if (userId === undefined && visitorId === undefined) throw bad('Either `user_id` or `visitor_id` is required.');
  const mode = modeOf(project);
  // A body with both is the user's: the user_id is the stronger claim, and the one verified.
  if (userId === undefined) return { who: unverified(project, mode, `visitor:${visitorId}`, userId, 'anonymous') };
  const owner = `user:${userId}`;
  if (mode === 'off') return { who: unverified(project, mode, owner, userId, 'verification_off') };
  const maxLifetimeSeconds = maxLifetimeOf(project);
  const result: VerifyResult = verifyUserTokenSync(token ?? '', project.identitySecrets ?? [], { userId, maxLifetimeSeconds });
  if (result.ok) {
    if (result.claims.exp === undefined) warnNoExp(context, project, userId);
    return { who: { project, mode, owner, userId, verified: true, trusted: result.trusted, header: 'verified' } };
  }
  const { reason } = result;
  // The log names the lifetime; the wire says token_invalid (as for any token it refuses).
  const logged =
    result.detail === 'lifetime'
      ? `lifetime (exp missing or more than maxTokenLifetime ${JSON.stringify(project.maxTokenLifetime)} away)`
      : reason;
  const who = unverified(project, mode, owner, userId, reason);
  const fields = (decision: DecisionFields['decision']): DecisionFields => ({
    widgetKey: project.widgetKey,
    mode,
    decision,
    reason: logged === reason ? reason : 'lifetime',
    userId,
  });
  // Say why (never the token). JSON quoting keeps a hostile user_id from forging log lines.
  if (mode === 'enforce') {
    return {
      who,
      refusal: new ApiError(403, 'identity_verification_failed', `Identity verification failed: ${reason}.`, reason),
      decision: {
        fields: fields('refused'),
        message: `[halo] enforce: refused the token of user ${JSON.stringify(userId)} on ${project.widgetKey}: ${logged}`,
      },
    };
  }
  // Monitor: go on unverified.
  return {
    who,
    decision: {
      fields: fields('unverified'),
      message: `[halo] monitor: unverified request for user ${JSON.stringify(userId)} on ${project.widgetKey}: ${logged}`,
    },
  };
}
