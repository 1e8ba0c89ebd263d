import type { IncomingMessage, ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { checkConfig, modeOf, originAllowed } from './config.js';
import { ApiError, EXPOSED, pathOf, readBody, sendError, sendJson, type HeaderList } from './http.js';
import { createRateLimiter, type RateLimitConfig, type RateLimiter } from './rate-limiter.js';
import { defaultRespond, type Respond } from './respond.js';
import { safeLog } from './safe-log.js';
import { createMemoryStore, newId, type ConversationStore, type StoredConversation, type StoredMessage } from './store.js';
import { verifyUserTokenSync, type VerifyFailure } from './verify-user-token.js';

/** How a project treats user tokens (SPEC V5). */
export type VerificationMode = 'off' | 'monitor' | 'enforce';

/** One project of the API. Read on every request, so changing `mode` or `identitySecrets` takes effect at once. */
export interface ProjectConfig {
  /** The publishable key the widget sends as `widget_key`. */
  widgetKey: string;
  /** Identity secrets (`ha_secret_…`); several during a rotation, any one verifies. @default [] */
  identitySecrets?: string[];
  /** @default 'monitor' once the project has a secret, else 'off' */
  mode?: VerificationMode;
  /** Origins allowed to call from a browser (`'*'` for any). Calls without `Origin` are exempt. @default any */
  allowedOrigins?: string[];
}

/** Console-shaped logger. */
export interface HaloLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** The reference API's configuration (SPEC §7). */
export interface HaloApiConfig {
  projects: ProjectConfig[];
  /** @default createMemoryStore() */
  store?: ConversationStore;
  /** @default defaultRespond: a deterministic reply that shows the trusted traits */
  respond?: Respond;
  /** @default console */
  logger?: HaloLogger;
  /** Token buckets per widget key + user (or IP for visitors), answering 429. @default false: no limit */
  rateLimit?: RateLimitConfig | false;
}

const MAX_BODY = 64 * 1024;
const MAX_MESSAGE = 4000;
const MAX_TRAITS = 50;
const MAX_ID = 256;
const MAX_CLIENT_MESSAGE_ID = 100;
const CALLS = new Set(['identify', 'chat', 'history']);
const API_PREFIX = '/api/sdk/';

type Body = Record<string, unknown>;

interface Identity {
  project: ProjectConfig;
  mode: VerificationMode;
  /** `user:<id>` or `visitor:<id>`: separate namespaces (V7). */
  owner: string;
  userId: string | null;
  verified: boolean;
  trusted: Record<string, unknown>;
  /** The `Halo-Identity` header value. */
  header: string;
}

/** What one request has learnt so far, for the headers of an error answer. */
interface RequestState {
  /** The project refused the request's `Origin`: the answer must not echo it. */
  originRefused?: boolean;
  identityHeader?: string;
  token?: string;
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

function messageOf(body: Body): string {
  const message = body.message;
  if (typeof message !== 'string') throw bad('`message` must be a string.');
  // Spreading a string counts its code points (a lone surrogate is one): never more than its
  // UTF-16 units, and at least one when it has any. Only a string over the limit in units
  // needs counting.
  let length = message.length;
  if (length > MAX_MESSAGE) length = [...message].length;
  if (length < 1 || length > MAX_MESSAGE) throw bad(`\`message\` must be 1 to ${MAX_MESSAGE} characters, got ${length}.`);
  return message;
}

function isJson(contentType: string | undefined): boolean {
  // What the SDK and most clients send, answered without splitting the header.
  if (contentType === 'application/json') return true;
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** The `<call>` of `/api/sdk/<call>` (query string ignored), or null for any other path. */
function callOf(url: string): string | null {
  const path = pathOf(url);
  if (!path.startsWith(API_PREFIX) || path.length === API_PREFIX.length) return null;
  const call = path.slice(API_PREFIX.length);
  return call.includes('/') ? null : call;
}

/** Whether a store's or `respond`'s result must be awaited: a plain value is used at once, without a microtask turn. */
function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** Whether an object has an own enumerable key, without listing its keys. */
function hasKeys(object: Record<string, unknown>): boolean {
  for (const name in object) if (Object.hasOwn(object, name)) return true;
  return false;
}

let isoMs = Number.NaN;
let isoText = '';
/** `new Date().toISOString()`, formatted once per millisecond: answers in the same millisecond share it. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

/** An unverified identity (anonymous, verification off, or a refused token under `monitor`). */
function unverified(project: ProjectConfig, mode: VerificationMode, owner: string, userId: string | undefined, reason: string): Identity {
  return { project, mode, owner, userId: userId ?? null, verified: false, trusted: {}, header: `unverified; reason=${reason}` };
}

/** Replaces every secret (and the request's token) in a string before it reaches a log. */
function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * The reference Halo API as a `node:http` handler: `POST /api/sdk/identify | chat | history`
 * with identity verification (SPEC §5–§6). Every error is a JSON answer with one of the
 * SPEC's statuses; an unexpected one is logged and answered `500 internal_error`, never
 * with a stack. Throws a `TypeError` at once for an invalid config.
 */
export function createHaloApi(config: HaloApiConfig): (req: IncomingMessage, res: ServerResponse) => void {
  const logger = config?.logger ?? console;
  checkConfig(config, logger);
  const store = config.store ?? createMemoryStore();
  const respond = config.respond ?? defaultRespond;
  const limiter: RateLimiter | null = config.rateLimit ? createRateLimiter(config.rateLimit) : null;
  // Concurrent retries of one client_message_id wait for the first instead of answering twice.
  const inflight = new Map<string, Promise<{ conversation: StoredConversation; reply: StoredMessage }>>();

  const findProject = (widgetKey: string) => config.projects.find((p) => p.widgetKey === widgetKey);

  function cors(req: IncomingMessage, state: RequestState): HeaderList {
    const origin = req.headers.origin;
    // An origin a project refuses is never echoed, its 403 included (SPEC §5). Before any
    // project is known (bad JSON, unknown key) the origin is echoed, so the page can read
    // the error code: such an answer carries no project's data.
    return origin && !state.originRefused
      ? ['Access-Control-Expose-Headers', EXPOSED, 'Vary', 'Origin', 'Access-Control-Allow-Origin', origin]
      : ['Access-Control-Expose-Headers', EXPOSED, 'Vary', 'Origin'];
  }

  function identify(req: IncomingMessage, body: Body, state: RequestState): Identity {
    const widgetKey = body.widget_key;
    if (widgetKey === undefined || widgetKey === null || widgetKey === '') throw bad('`widget_key` is required.');
    if (typeof widgetKey !== 'string') throw bad('`widget_key` must be a string.');
    const project = findProject(widgetKey);
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
    // A body with both is the user's: the user_id is the stronger claim, and the one verified.
    if (userId === undefined) return unverified(project, mode, `visitor:${visitorId}`, userId, 'anonymous');
    const owner = `user:${userId}`;
    if (mode === 'off') return unverified(project, mode, owner, userId, 'verification_off');
    const result = verifyUserTokenSync(token ?? '', project.identitySecrets ?? [], { userId });
    if (result.ok) return { project, mode, owner, userId, verified: true, trusted: result.trusted, header: 'verified' };
    const reason: VerifyFailure = result.reason;
    if (mode === 'enforce') {
      state.identityHeader = `unverified; reason=${reason}`;
      throw new ApiError(403, 'identity_verification_failed', `Identity verification failed: ${reason}.`, reason);
    }
    // Monitor: say why (never the token) and go on unverified. JSON quoting keeps a hostile
    // user_id from forging log lines.
    safeLog(logger, 'warn', () => [`[halo] monitor: unverified request for user ${JSON.stringify(userId)} on ${project.widgetKey}: ${reason}`]);
    return unverified(project, mode, owner, userId, reason);
  }

  async function conversationFor(who: Identity, requested: string | undefined, create: boolean): Promise<StoredConversation | null> {
    const key = who.project.widgetKey;
    if (requested) {
      const found = store.getConversation(key, requested);
      const conversation = isThenable(found) ? await found : found;
      // Another identity's conversation looks exactly like a missing one: nothing leaks.
      if (!conversation || conversation.project !== key || conversation.owner !== who.owner) {
        throw new ApiError(404, 'not_found', 'No such conversation.');
      }
      return conversation;
    }
    const latest = store.latestConversation(key, who.owner);
    const conversation = isThenable(latest) ? await latest : latest;
    return conversation ?? (create ? await store.createConversation(key, who.owner) : null);
  }

  /** V6: stored client traits ← this body's traits ← this request's trusted claims. Only client traits are stored. */
  async function traitsFor(who: Identity, sent: Record<string, unknown>): Promise<Record<string, unknown>> {
    const key = who.project.widgetKey;
    const stored = store.getTraits(key, who.owner);
    let traits = isThenable(stored) ? await stored : stored;
    if (hasKeys(sent)) {
      // Newest last; past the limit the traits not sent for the longest time are dropped,
      // so an identity's record stays bounded however many names a client invents.
      const entries = [...Object.entries(traits).filter(([name]) => !Object.hasOwn(sent, name)), ...Object.entries(sent)];
      traits = Object.fromEntries(entries.slice(-MAX_TRAITS));
      await store.setTraits(key, who.owner, traits);
    }
    return { ...traits, ...who.trusted };
  }

  async function chat(who: Identity, body: Body): Promise<unknown> {
    const message = messageOf(body);
    const clientMessageId = optionalString(body, 'client_message_id', MAX_CLIENT_MESSAGE_ID) ?? null;
    const requested = optionalString(body, 'conversation_id');
    const sent = traitsOf(body);
    // With the memory store and the default respond every step below returns a plain value:
    // those are used at once (isThenable), so an exchange costs no microtask turn per step.
    const exchange = async () => {
      const conversation = (await conversationFor(who, requested, true))!;
      if (clientMessageId) {
        const found = store.findReply(conversation.id, clientMessageId);
        const earlier = isThenable(found) ? await found : found;
        if (earlier) return { conversation, reply: earlier };
      }
      const traits = await traitsFor(who, sent);
      // The default respond never reads the history, so it is not copied out of the store for it.
      const listed = respond === defaultRespond ? [] : store.listMessages(conversation.id);
      const history = isThenable(listed) ? await listed : listed;
      const user = who.userId === null ? null : { user_id: who.userId, traits, verified: who.verified };
      const replied = respond({ message, user, history });
      const text = String(isThenable(replied) ? await replied : replied);
      const now = isoNow();
      const question: StoredMessage = { id: newId('msg'), conversation_id: conversation.id, role: 'user', text: message, created_at: now };
      const answer: StoredMessage = { id: newId('msg'), conversation_id: conversation.id, role: 'assistant', text, created_at: now };
      const stored = store.appendExchange(conversation.id, question, answer, clientMessageId);
      return { conversation, reply: isThenable(stored) ? await stored : stored };
    };
    let result: { conversation: StoredConversation; reply: StoredMessage };
    if (clientMessageId) {
      // Every part but the last is length-prefixed, so no two tuples share a key; half the
      // cost of the JSON of an array, which this key was before.
      const space = requested ?? '';
      const key = `${who.project.widgetKey.length}:${who.project.widgetKey}${who.owner.length}:${who.owner}${requested === undefined ? '-' : `${space.length}:${space}`}${clientMessageId}`;
      let running = inflight.get(key);
      if (!running) {
        running = exchange().finally(() => inflight.delete(key));
        inflight.set(key, running);
      }
      result = await running;
    } else {
      result = await exchange();
    }
    return { conversation_id: result.conversation.id, message: result.reply, identity: { verified: who.verified, mode: who.mode } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, state: RequestState): Promise<void> {
    if (req.method === 'OPTIONS') {
      // A preflight has no body, so no project is known: answer it for any origin and any
      // path (SPEC §5: always 204); the call itself gets the 404 or 405.
      res.writeHead(204, {
        'Access-Control-Allow-Origin': req.headers.origin ?? '*',
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'Content-Type',
        'Access-Control-Max-Age': '600',
        'Access-Control-Expose-Headers': EXPOSED,
        Vary: 'Origin',
      });
      res.end();
      return;
    }
    const call = callOf(req.url ?? '/');
    if (call === null) throw new ApiError(404, 'not_found', 'Not found.');
    if (!CALLS.has(call)) throw new ApiError(404, 'not_found', `Unknown call ${JSON.stringify(call.slice(0, 40))}.`);
    if (req.method !== 'POST') {
      throw new ApiError(405, 'method_not_allowed', `Use POST for /api/sdk/${call}.`, undefined, { Allow: 'POST, OPTIONS' });
    }
    if (!isJson(req.headers['content-type'])) {
      throw new ApiError(415, 'unsupported_media_type', 'Send Content-Type: application/json.');
    }
    const raw = await readBody(req, MAX_BODY);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw bad(`The body is not valid JSON (${(error as Error).message.slice(0, 80)}).`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('The body must be a JSON object.');
    const body = parsed as Body;
    const who = identify(req, body, state);
    // Every later answer, errors included, carries the identity verdict.
    state.identityHeader = who.header;
    const headers = cors(req, state);
    headers.push('Halo-Identity', who.header);
    if (limiter) {
      const key = `${who.project.widgetKey} ${who.userId !== null ? `u:${who.userId}` : `ip:${req.socket.remoteAddress}`}`;
      const decision = limiter.take(key);
      if (!decision.ok) {
        throw new ApiError(429, 'rate_limited', 'Too many requests; try again later.', undefined, { 'Retry-After': String(decision.retryAfterSeconds) });
      }
    }
    let answer: unknown;
    if (call === 'chat') {
      answer = await chat(who, body);
    } else if (call === 'identify') {
      const traits = await traitsFor(who, traitsOf(body));
      answer = {
        user: who.userId === null ? null : { user_id: who.userId, traits },
        identity: { verified: who.verified, mode: who.mode },
      };
    } else {
      const conversation = await conversationFor(who, optionalString(body, 'conversation_id'), false);
      answer = { conversation_id: conversation?.id ?? null, messages: conversation ? await store.listMessages(conversation.id) : [] };
    }
    sendJson(res, 200, answer, headers);
  }

  function logError(message: string, error: unknown, state: RequestState): void {
    safeLog(logger, 'error', () => {
      const secrets = config.projects.flatMap((p) => (Array.isArray(p.identitySecrets) ? p.identitySecrets : []));
      if (state.token) secrets.push(state.token);
      // An app's respond() or store may put anything in an error — its message, a property, a
      // cause, a thrown plain object. The check reads it as deeply as a logger printing it
      // would (stack, own properties, the cause chain); with a secret or the request's token
      // in it, only the redacted text is logged, never the object.
      const text = inspect(error, { depth: 8, breakLength: Infinity, maxStringLength: null, maxArrayLength: null });
      return secrets.some((secret) => secret.length >= 8 && text.includes(secret)) ? [message, redact(text, secrets)] : [message, error];
    });
  }

  return (req, res) => {
    const state: RequestState = {};
    handle(req, res, state).catch((error: unknown) => {
      // The answer goes out before anything is logged, so a failing logger cannot hold it up.
      if (res.headersSent) {
        res.destroy();
        logError('[halo] error after the answer started:', error, state);
        return;
      }
      const headers = cors(req, state);
      if (state.identityHeader) headers.push('Halo-Identity', state.identityHeader);
      if (error instanceof ApiError) {
        // A 413 has not read the rest of the body: close rather than read it.
        if (error.status === 413) headers.push('Connection', 'close');
        sendError(res, error, headers);
        return;
      }
      sendError(res, new ApiError(500, 'internal_error', 'Internal error.'), headers);
      logError('[halo] internal error:', error, state);
    });
  };
}
