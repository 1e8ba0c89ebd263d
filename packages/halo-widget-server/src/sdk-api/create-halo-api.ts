import type { IncomingMessage, ServerResponse } from 'node:http';
import { createChatCall } from './chat-call.js';
import { checkIdentity, type IdentityContext } from '../identity/check-identity.js';
import { checkConfig } from '../config.js';
import { answerPreflight, corsHeaders } from '../http/cors.js';
import { historyCall } from './history-call.js';
import { ApiError, sendError, sendJson } from '../http/http.js';
import { identifyCall } from './identify-call.js';
import { logRequestError } from '../http/log-request-error.js';
import { CALLS, callOf, parseBody, readRequestBody, refusalOf } from '../http/parse-request.js';
import { refuseSecrets, refuseSecretsInRequest } from '../identity/refuse-secrets.js';
import { createRequestLimiter } from '../limits/request-limiter.js';
import type { RequestState } from '../http/request-state.js';
import { defaultRespond } from './respond.js';
import { createMemoryStore } from '../store/store.js';
import { isStoreUnavailable } from '../store/store-unavailable-error.js';
import { createOutageReporter, unavailableAnswer } from '../store/store-outage.js';
import { resolveTraitLimits } from '../identity/traits.js';
import type { HaloApiConfig } from '../types.js';
import { openChannels } from '../channel/open-channels.js';
import { createDecisionLog } from '../ops/decision-log.js';
import { metrics } from '../ops/metrics.js';
import { requestIdOf } from '../ops/request-id.js';
import { aiConfigsOf, aiLookupOf, createAiReplies, type AiReplies } from '../ai/ai-replies.js';

/**
 * The reference Halo API as a `node:http` handler: `POST /api/sdk/identify | chat | history`
 * with identity verification (see the wire protocol in docs/protocol.md). Every error is a
 * JSON answer with one of the protocol's statuses; an unexpected one is logged and answered
 * `500 internal_error`, never with a stack; a database that cannot be reached is answered
 * `503 service_unavailable` with `Retry-After`, its cause logged. Throws a `TypeError` at once for an invalid config.
 */
export function createHaloApi(config: HaloApiConfig): HaloApiHandler {
  const logger = config?.logger ?? console;
  checkConfig(config, logger);
  const store = config.store ?? createMemoryStore();
  const respond = config.respond ?? defaultRespond;
  const traitLimits = resolveTraitLimits(config.traitLimits);
  const context: IdentityContext = {
    config,
    logger,
    limiter: createRequestLimiter(config.rateLimit, config.trustProxy),
    warnedNoExp: new Set(),
    decisions: createDecisionLog(logger, config.decisionLog, () => metrics.logLinesSuppressed.inc()),
  };
  // Projects with an "ai" section answer with the model, over the live channel (docs/ai.md).
  const ai = createAiReplies({ configs: aiConfigsOf(config), lookup: aiLookupOf(config), store, logger });
  const chat = createChatCall(store, respond, traitLimits, ai);
  const reportOutage = createOutageReporter(logger);
  // The live channel (POST /api/sdk/channel), where the store is a SupportStore.
  const channels = openChannels(config, store, logger);

  async function handle(req: IncomingMessage, res: ServerResponse, state: RequestState): Promise<void> {
    if (req.method === 'OPTIONS') {
      answerPreflight(req, res);
      return;
    }
    const call = callOf(req.url ?? '/');
    // The live channel is a call only where there is a support store to feed it.
    const refusal = refusalOf(call, req, (name) => CALLS.has(name) || (name === 'channel' && channels !== null));
    // The rate limit (limits/request-limiter.ts) before any work: refusals are charged too.
    state.address = context.limiter?.admit(req, refusal !== null);
    if (refusal) throw refusal;
    const body = parseBody(await readRequestBody(req));
    // Before the identity check: a secret sent as `user_token` is a leak, not a bad token.
    refuseSecretsInRequest(config.projects, logger, req, body);
    // The rest of the rate limit is part of the identity check: before the token is looked at, then by the verdict.
    const who = checkIdentity(context, req, body, state, state.address ?? '');
    // Every later answer, errors included, carries the identity verdict.
    state.identityHeader = who.header;
    const headers = corsHeaders(req, state);
    headers.push('Halo-Identity', who.header);
    refuseSecrets(config.projects, logger, who, body);
    if (call === 'channel') return channels!.call(who, body, state.token, req, res, headers);
    let answer: unknown;
    if (call === 'chat') answer = await chat(who, body);
    else if (call === 'identify') answer = await identifyCall(store, who, body, traitLimits);
    else answer = await historyCall(store, who, body);
    sendJson(res, 200, answer, headers);
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const state: RequestState = { requestId: requestIdOf(req) };
    res.setHeader('X-Request-Id', state.requestId!);
    handle(req, res, state).catch((error: unknown) => {
      // The answer goes out before anything is logged, so a failing logger cannot hold it up.
      if (res.headersSent) {
        res.destroy();
        logRequestError(logger, config.projects, '[halo] error after the answer started:', error, state.token);
        return;
      }
      const headers = corsHeaders(req, state);
      if (state.identityHeader) headers.push('Halo-Identity', state.identityHeader);
      // Every refusal before a verdict is charged to its address (a 429 already was refused for free).
      if (
        error instanceof ApiError &&
        state.address !== undefined &&
        error.status !== 429 &&
        error.status < 500 &&
        (state.refused || !state.identityHeader)
      )
        error = context.limiter?.refused(state.address) ?? error;
      if (error instanceof ApiError) {
        // A 413 has not read the rest of the body: close rather than read it.
        // Nor a body refused unread by the rate limit: reading it is the work the limit saves.
        if (error.status === 413 || (error.status === 429 && !req.complete)) headers.push('Connection', 'close');
        sendError(res, error, headers);
        return;
      }
      if (isStoreUnavailable(error)) {
        // The database is down or unreachable: a transient 503, never a 500; the next request tries again.
        sendError(res, unavailableAnswer(), headers);
        reportOutage(error);
        return;
      }
      sendError(res, new ApiError(500, 'internal_error', 'Internal error.'), headers);
      logRequestError(logger, config.projects, '[halo] internal error:', error, state.token);
    });
  };
  return Object.assign(handler, { closeChannels: (retryAfterMs: number) => channels?.hub.close(retryAfterMs), ai });
}

/** The API's `node:http` handler, the graceful end of its live channels (with a retry hint), and its AI replies. */
export type HaloApiHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  closeChannels(retryAfterMs: number): void;
  ai: AiReplies;
};
