import type { StoredMessage } from './store.js';
import type { ReplyRow } from './chat-batches.js';

/** A stored message may carry `unverified: true` (its request was not verified); the column says `verified`. */
export type Flagged = StoredMessage & { unverified?: boolean };

/** A row of the exchanges table: the user's message and its reply. */
export interface ExchangeRow extends ReplyRow {
  message_id: string;
  message_text: string;
  verified: boolean;
}

type Wellformed = string & { isWellFormed(): boolean; toWellFormed(): string };

/**
 * PostgreSQL text and json hold neither U+0000 nor a lone surrogate (JSON allows both): they
 * become U+FFFD, as a UTF-8 encoder does for the second, instead of failing the request.
 */
export function storable(text: string): string {
  const value = text as Wellformed;
  return value.includes('\0') || !value.isWellFormed() ? value.toWellFormed().replaceAll('\0', '\uFFFD') : text;
}

const MARK = '\u0001';

/**
 * An id (project, owner, client message id, conversation id) as a key PostgreSQL can hold,
 * without two ids ever sharing one: an id with U+0000 or a lone surrogate — or one that
 * starts with the mark — becomes the mark and its UTF-16 units in hex. Every other id is
 * stored as it is.
 */
export function storableId(id: string): string {
  if (id.charCodeAt(0) !== 1 && storable(id) === id) return id;
  let out = MARK;
  for (let i = 0; i < id.length; i++) out += id.charCodeAt(i).toString(16).padStart(4, '0');
  return out;
}

/** The id {@link storableId} was given. */
export function idFromStorable(key: string): string {
  if (key.charCodeAt(0) !== 1) return key;
  let out = '';
  for (let i = 1; i < key.length; i += 4) out += String.fromCharCode(parseInt(key.slice(i, i + 4), 16));
  return out;
}

export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[storable(key)] = storableJson(inner);
    return out;
  }
  return value;
}

export const iso = (value: Date | string): string => (value instanceof Date ? value.toISOString() : new Date(value).toISOString());

export function message(
  id: string,
  conversationId: string,
  role: 'user' | 'assistant',
  text: string,
  created: string,
  verified: boolean,
): StoredMessage {
  const stored: Flagged = { id: idFromStorable(id), conversation_id: conversationId, role, text, created_at: created };
  // The field appears only when false, so a verified message looks exactly as before.
  if (!verified) stored.unverified = true;
  return stored;
}

/** The reply of a stored exchange row, as the wire shows it. */
export const replyOf = (row: ReplyRow, conversationId: string): StoredMessage =>
  message(row.reply_id, conversationId, 'assistant', row.reply_text, iso(row.created_at), row.reply_verified);
