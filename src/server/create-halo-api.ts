import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, EXPOSED, readBody, sendError, sendJson } from './http.js';
import { createRateLimiter, type RateLimitConfig, type RateLimiter } from './rate-limiter.js';
import { defaultRespond, type Respond } from './respond.js';
import { createMemoryStore, newId, type ConversationStore, type StoredConversation, type StoredMessage } from './store.js';
import { verifyUserTokenSync, type VerifyFailure } from './verify-user-token.js';

/** How a project treats user tokens (SPEC V5). */
export type VerificationMode = 'off' | 'monitor' | 'enforce';

/** One project of the API. Read on every request, so changing `mode` takes effect at once. */
export interface ProjectConfig {
  widgetKey: string;
  /** Identity secrets (`ha_secret_…`); several during a rotation, any one verifies. */
  identitySecrets?: string[];
  /** @default 'monitor' once the project has a secret, else 'off' */
  mode?: VerificationMode;
  /** Origins allowed to call from a browser (`'*'` for any). @default any */
  allowedOrigins?: string[];
}

/** Console-shaped logger. */
export interface HaloLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface HaloApiConfig {
  projects: ProjectConfig[];
  /** @default createMemoryStore() */
  store?: ConversationStore;
  /** @default a deterministic reply that shows the trusted traits */
  respond?: Respond;
  /** @default console */
  logger?: HaloLogger;
  /** Token buckets per widget key + user (or IP for visitors); `false` or absent: no limit. */
  rateLimit?: RateLimitConfig | false;
}

const MAX_BODY = 64 * 1024;
const MAX_MESSAGE = 4000;
const MAX_TRAITS = 50;
const MAX_ID = 256;
const CALLS = new Set(['identify', 'chat', 'history']);

type Body = Record<string, unknown>;

interface Identity {
  project: ProjectConfig;
  mode: VerificationMode;
  owner: string;
  userId: string | null;
  verified: boolean;
  trusted: Record<string, unknown>;
  /** Why a claimed user is unverified (monitor mode). */
  reason?: VerifyFailure;
}

const bad = (message: string) => new ApiError(400, 'invalid_request', message);

function optionalString(body: Body, field: string, max = MAX_ID): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw bad(`\`${field}\` must be a non-empty string of at most ${max} characters.`);
  }
  return value;
}

function traitsOf(body: Body): Record<string, unknown> {
  const traits = body.user_traits;
  if (traits === undefined || traits === null) return {};
  if (typeof traits !== 'object' || Array.isArray(traits)) throw bad('`user_traits` must be an object.');
  if (Object.keys(traits).length > MAX_TRAITS) throw bad(`\`user_traits\` has more than ${MAX_TRAITS} keys.`);
  return traits as Record<string, unknown>;
}

function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function sameTraits(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(b);
  if (keys.length !== Object.keys(a).length) return false;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}

function modeOf(project: ProjectConfig): VerificationMode {
  return project.mode ?? (project.identitySecrets?.length ? 'monitor' : 'off');
}

/**
 * The reference Halo API as a `node:http` handler: `POST /api/sdk/identify | chat | history`
 * with identity verification (SPEC §5–§6). Every error is a JSON answer with one of the
 * SPEC's statuses; an unexpected one is logged and answered `500 internal_error`, never
 * with a stack.
 */
export function createHaloApi(config: HaloApiConfig): (req: IncomingMessage, res: ServerResponse) => void {
  if (!config || !Array.isArray(config.projects)) throw new TypeError('createHaloApi: config.projects must be an array.');
  const store = config.store ?? createMemoryStore();
  const respond = config.respond ?? defaultRespond;
  const logger = config.logger ?? console;
  const limiter: RateLimiter | null = config.rateLimit ? createRateLimiter(config.rateLimit) : null;
  // Concurrent retries of one client_message_id wait for the first instead of answering twice.
  const inflight = new Map<string, Promise<StoredMessage>>();

  const findProject = (widgetKey: string) => config.projects.find((p) => p.widgetKey === widgetKey);

  function cors(req: IncomingMessage, project: ProjectConfig | undefined): Record<string, string> {
    const origin = req.headers.origin;
    const headers: Record<string, string> = { 'Access-Control-Expose-Headers': EXPOSED, Vary: 'Origin' };
    if (!origin) return headers;
    const allowed = project?.allowedOrigins;
    if (!project || !allowed || allowed.includes('*') || allowed.includes(origin)) headers['Access-Control-Allow-Origin'] = origin;
    return headers;
  }

  function identify(req: IncomingMessage, body: Body): Identity {
    const widgetKey = body.widget_key;
    if (widgetKey === undefined || widgetKey === null || widgetKey === '') throw bad('`widget_key` is required.');
    if (typeof widgetKey !== 'string') throw bad('`widget_key` must be a string.');
    const project = findProject(widgetKey);
    if (!project) throw new ApiError(401, 'invalid_widget_key', 'Unknown widget key.');
    const origin = req.headers.origin;
    const allowed = project.allowedOrigins;
    if (origin && allowed && !allowed.includes('*') && !allowed.includes(origin)) {
      throw new ApiError(403, 'origin_not_allowed', `Origin ${origin} is not allowed for this widget key.`);
    }
    const userId = optionalString(body, 'user_id');
    const visitorId = optionalString(body, 'visitor_id');
    const token = body.user_token;
    if (token !== undefined && token !== null && typeof token !== 'string') throw bad('`user_token` must be a string.');
    if (!userId && !visitorId) throw bad('Either `user_id` or `visitor_id` is required.');
    const mode = modeOf(project);
    if (!userId) return { project, mode, owner: `visitor:${visitorId}`, userId: null, verified: false, trusted: {} };
    if (mode === 'off') return { project, mode, owner: `user:${userId}`, userId, verified: false, trusted: {} };
    const result = verifyUserTokenSync(token ?? '', project.identitySecrets ?? [], { userId });
    if (result.ok) return { project, mode, owner: `user:${userId}`, userId, verified: true, trusted: result.trusted };
    if (mode === 'enforce') {
      throw new ApiError(403, 'identity_verification_failed', `Identity verification failed: ${result.reason}.`, result.reason, {
        'Halo-Identity': `unverified; reason=${result.reason}`,
      });
    }
    // Monitor: log the reason (never the token) and go on unverified.
    logger.warn(`[halo] monitor: unverified request for user "${userId}" (${result.reason}) on ${project.widgetKey}`);
    return { project, mode, owner: `user:${userId}`, userId, verified: false, trusted: {}, reason: result.reason };
  }

  function identityHeader(who: Identity): string {
    if (who.verified) return 'verified';
    const reason = who.userId === null ? 'anonymous' : who.mode === 'off' ? 'verification_off' : who.reason;
    return `unverified; reason=${reason}`;
  }

  async function conversationFor(who: Identity, body: Body, create: boolean): Promise<StoredConversation | null> {
    const id = optionalString(body, 'conversation_id');
    const key = who.project.widgetKey;
    if (id) {
      const conversation = await store.getConversation(key, id);
      // Another identity's conversation looks exactly like a missing one: nothing leaks.
      if (!conversation || conversation.owner !== who.owner) throw new ApiError(404, 'not_found', 'No such conversation.');
      return conversation;
    }
    return (await store.latestConversation(key, who.owner)) ?? (create ? await store.createConversation(key, who.owner) : null);
  }

  async function traitsFor(who: Identity, body: Body): Promise<Record<string, unknown>> {
    const key = who.project.widgetKey;
    // V6: verified claims override what the browser says; unverified requests get none.
    const stored = await store.getTraits(key, who.owner);
    const traits = { ...stored, ...traitsOf(body), ...who.trusted };
    // Most calls repeat the same traits: write only what changed.
    if (!sameTraits(stored, traits)) await store.setTraits(key, who.owner, traits);
    return traits;
  }

  async function chat(who: Identity, body: Body): Promise<unknown> {
    const message = body.message;
    if (typeof message !== 'string') throw bad('`message` must be a string.');
    const length = [...message].length;
    if (length < 1 || length > MAX_MESSAGE) throw bad(`\`message\` must be 1 to ${MAX_MESSAGE} characters.`);
    const clientMessageId = optionalString(body, 'client_message_id', 128) ?? null;
    const traits = await traitsFor(who, body);
    const conversation = await conversationFor(who, body, true);
    const conversationId = conversation!.id;
    const identity = { verified: who.verified, mode: who.mode };
    const exchange = async (): Promise<StoredMessage> => {
      if (clientMessageId) {
        const earlier = await store.findReply(conversationId, clientMessageId);
        if (earlier) return earlier;
      }
      const history = await store.listMessages(conversationId);
      const user = who.userId === null ? null : { user_id: who.userId, traits, verified: who.verified };
      const text = String(await respond({ message, user, history }));
      const now = new Date().toISOString();
      const question: StoredMessage = { id: newId('msg'), conversation_id: conversationId, role: 'user', text: message, created_at: now };
      const reply: StoredMessage = { id: newId('msg'), conversation_id: conversationId, role: 'assistant', text, created_at: now };
      await store.appendExchange(conversationId, question, reply, clientMessageId);
      return reply;
    };
    let reply: StoredMessage;
    if (clientMessageId) {
      const key = `${conversationId}\n${clientMessageId}`;
      let running = inflight.get(key);
      if (!running) {
        running = exchange().finally(() => inflight.delete(key));
        inflight.set(key, running);
      }
      reply = await running;
    } else {
      reply = await exchange();
    }
    return { conversation_id: conversationId, message: reply, identity };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const match = /^\/api\/sdk\/([^/]+)$/.exec(path);
    if (!match) throw new ApiError(404, 'not_found', 'Not found.');
    if (req.method === 'OPTIONS') {
      // A preflight has no body, so no project is known: answer it for any origin.
      res.writeHead(204, {
        'Access-Control-Allow-Origin': req.headers.origin ?? '*',
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type',
        'Access-Control-Max-Age': '600',
        'Access-Control-Expose-Headers': EXPOSED,
        Vary: 'Origin',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST') {
      throw new ApiError(405, 'method_not_allowed', 'Use POST.', undefined, { Allow: 'POST, OPTIONS' });
    }
    const call = match[1]!;
    if (!CALLS.has(call)) throw new ApiError(404, 'not_found', `Unknown call ${call.slice(0, 40)}.`);
    if (!isJson(req.headers['content-type'])) {
      throw new ApiError(415, 'unsupported_media_type', 'Send Content-Type: application/json.');
    }
    const raw = await readBody(req, MAX_BODY);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw bad(`The body is not valid JSON (${(error as Error).message.slice(0, 80)}).`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('The body must be a JSON object.');
    const who = identify(req, body as Body);
    const headers = { ...cors(req, who.project), 'Halo-Identity': identityHeader(who) };
    if (limiter) {
      const key = `${who.project.widgetKey} ${who.userId !== null ? `u:${who.userId}` : `ip:${req.socket.remoteAddress}`}`;
      const decision = limiter.take(key);
      if (!decision.ok) {
        throw new ApiError(429, 'rate_limited', 'Too many requests; try again later.', undefined, {
          ...headers,
          'Retry-After': String(decision.retryAfterSeconds),
        });
      }
    }
    let answer: unknown;
    if (call === 'chat') {
      answer = await chat(who, body as Body);
    } else if (call === 'identify') {
      const traits = await traitsFor(who, body as Body);
      answer = {
        user: who.userId === null ? null : { user_id: who.userId, traits },
        identity: { verified: who.verified, mode: who.mode },
      };
    } else {
      const conversation = await conversationFor(who, body as Body, false);
      answer = { conversation_id: conversation?.id ?? null, messages: conversation ? await store.listMessages(conversation.id) : [] };
    }
    sendJson(res, 200, answer, headers);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const base = cors(req, undefined);
      if (res.headersSent) {
        logger.error('[halo] error after the answer started:', error);
        res.destroy();
        return;
      }
      if (error instanceof ApiError) {
        // An identity answer keeps its Halo-Identity header (set on the error).
        sendError(res, error, error.status === 413 ? { ...base, Connection: 'close' } : base);
        return;
      }
      logger.error('[halo] internal error:', error);
      sendError(res, new ApiError(500, 'internal_error', 'Internal error.'), base);
    });
  };
}
