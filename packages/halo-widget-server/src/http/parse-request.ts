import { MAX_CLIENT_MESSAGE_ID, MAX_MESSAGE_CHARS as MAX_MESSAGE } from 'halo-widget/protocol';
import type { IncomingMessage } from 'node:http';
import { ApiError, pathOf, readBody } from './http.js';
import { isStorableText } from './storable-text.js';
import { checkTraits, TraitLimitError, type TraitLimits } from '../identity/traits.js';

/** A request body: a JSON object. Internal. */
export type Body = Record<string, unknown>;

/** The calls of the API, under `/api/sdk/`. */
export const CALLS = new Set(['identify', 'chat', 'history']);

// request-limits: body, message, ids and client_message_id. The message limit is shared with
// the browser code (src/limits.ts holds only constants, nothing that needs a browser).
const MAX_BODY = 64 * 1024;
const MAX_ID = 256;
const API_PREFIX = '/api/sdk/';
/** Levels of nesting a body may have: far more than any valid one (traits nest 4 levels at most). */
export const MAX_BODY_DEPTH = 32;

/** A `400 invalid_request` with `message`. */
export const bad = (message: string): ApiError => new ApiError(400, 'invalid_request', message);

/** The `<call>` of `/api/sdk/<call>` (query string ignored), or null for any other path. */
export function callOf(url: string): string | null {
  const path = pathOf(url);
  if (!path.startsWith(API_PREFIX) || path.length === API_PREFIX.length) return null;
  const call = path.slice(API_PREFIX.length);
  return call.includes('/') ? null : call;
}

function isJson(contentType: string | undefined): boolean {
  // What the SDK and most clients send, answered without splitting the header.
  if (contentType === 'application/json') return true;
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * The 404, 405 or 415 a request to `call` (from {@link callOf}) gets before its body is read,
 * or null. Known before a byte of the body, so the rate limit can charge it and refuse it first.
 */
export function refusalOf(
  call: string | null,
  req: IncomingMessage,
  known: (call: string) => boolean = (name) => CALLS.has(name),
): ApiError | null {
  // `reason: unknown_path` lets the SDK's development build name apiBase's path prefix as the cause.
  if (call === null)
    return new ApiError(404, 'not_found', 'Not found: the Halo API serves POST /api/sdk/identify, chat and history.', 'unknown_path');
  if (!known(call)) return new ApiError(404, 'not_found', `Unknown call ${JSON.stringify(call.slice(0, 40))}.`);
  if (req.method !== 'POST') {
    return new ApiError(405, 'method_not_allowed', `Use POST for /api/sdk/${call}.`, undefined, { Allow: 'POST, OPTIONS' });
  }
  if (!isJson(req.headers['content-type'])) return new ApiError(415, 'unsupported_media_type', 'Send Content-Type: application/json.');
  return null;
}

/**
 * Whether JSON text nests deeper than `max` arrays and objects, by one pass over its bytes
 * (brackets inside strings skipped). Checked before `JSON.parse`, whose work and garbage on a
 * 30 000-deep array once pushed every other client's p99 from 18 ms to 1.2 s.
 */
export function nestsDeeperThan(raw: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i += 1) {
    const byte = raw[i]!;
    if (inString) {
      if (byte === 0x5c)
        i += 1; // a backslash escapes the next byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      depth += 1;
      if (depth > max) return true;
    } else if (byte === 0x5d || byte === 0x7d) depth -= 1;
  }
  return false;
}

/**
 * Reads a request's body: 415 (thrown at once) for a content type other than JSON, 413 past
 * the body limit. Not async, so the chat's hot path pays no extra await turn for it.
 */
export function readRequestBody(req: IncomingMessage): Promise<Buffer> {
  if (!isJson(req.headers['content-type'])) {
    throw new ApiError(415, 'unsupported_media_type', 'Send Content-Type: application/json.');
  }
  return readBody(req, MAX_BODY);
}

/** A body's bytes as a JSON object; 400 for anything else. */
export function parseBody(raw: Buffer): Body {
  if (nestsDeeperThan(raw, MAX_BODY_DEPTH)) throw bad(`The body nests more than ${MAX_BODY_DEPTH} levels deep.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw bad(`The body is not valid JSON (${(error as Error).message.slice(0, 80)}).`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('The body must be a JSON object.');
  return parsed as Body;
}

/** A `400 invalid_request` for a string field that is not {@link isStorableText}. */
export const notStorable = (field: string): ApiError => bad(`\`${field}\` contains a NUL character or invalid Unicode (a lone surrogate).`);

/**
 * An optional id field: absent (or null), else a non-empty string of at most `max` characters,
 * storable ({@link isStorableText}) and not starting with U+FEFF (a byte-order mark: PGlite
 * drops it on read, so the id read back would not be the id written).
 */
export function optionalString(body: Body, field: string, max = MAX_ID): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw bad(`\`${field}\` must be a non-empty string of at most ${max} characters.`);
  }
  if (!isStorableText(value)) throw notStorable(field);
  if (value.charCodeAt(0) === 0xfeff) throw bad(`\`${field}\` must not start with U+FEFF (a byte-order mark).`);
  return value;
}

/** The body's `client_message_id`, or null. */
export const clientMessageIdOf = (body: Body): string | null => optionalString(body, 'client_message_id', MAX_CLIENT_MESSAGE_ID) ?? null;

/** The body's `user_traits` within the trait limits (400 naming the limit otherwise), `{}` when absent. */
export function traitsOf(body: Body, limits: Required<TraitLimits>): Record<string, unknown> {
  try {
    return checkTraits(body.user_traits, limits);
  } catch (error) {
    if (error instanceof TraitLimitError) throw bad(error.message);
    throw error;
  }
}

/** The body's `message`: 1 to 4000 code points. */
export function messageOf(body: Body): string {
  const message = body.message;
  if (typeof message !== 'string') throw bad('`message` must be a string.');
  // Spreading a string counts its code points (a lone surrogate is one): never more than its
  // UTF-16 units, and at least one when it has any. Only a string over the limit in units
  // needs counting.
  let length = message.length;
  if (length > MAX_MESSAGE) length = [...message].length;
  if (length < 1 || length > MAX_MESSAGE) throw bad(`\`message\` must be 1 to ${MAX_MESSAGE} characters, got ${length}.`);
  if (!isStorableText(message)) throw notStorable('message');
  return message;
}
