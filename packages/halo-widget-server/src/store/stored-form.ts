import type { Author, ConversationMessage, MessageUsage } from './conversation-model.js';
import type { ReplyRow } from './chat-batches.js';

/** A row of the messages table. */
export interface MessageRow {
  id: string;
  seq: number;
  author: Author;
  agent_id: string | null;
  agent_name: string | null;
  text: string;
  verified: boolean;
  client_message_id: string | null;
  usage: MessageUsage | null;
  in_reply_to?: string | null;
  created_at: Date | string;
}

/** The columns of {@link MessageRow}, for a select. */
export const MESSAGE_COLUMNS = 'id, seq, author, agent_id, agent_name, text, verified, client_message_id, usage, in_reply_to, created_at';

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

/** A stored message as the wire shows it: `unverified` only when false, `role` for old clients. */
export function messageOf(row: MessageRow, conversationId: string): ConversationMessage {
  const stored: ConversationMessage = {
    id: idFromStorable(row.id),
    conversation_id: conversationId,
    seq: Number(row.seq),
    author: row.author,
    role: row.author === 'user' ? 'user' : 'assistant',
    text: row.text,
    created_at: iso(row.created_at),
  };
  if (row.agent_id !== null) stored.agent = { id: row.agent_id, name: row.agent_name ?? '' };
  // The field appears only when false, so a verified message looks exactly as before.
  if (!row.verified) stored.unverified = true;
  if (row.usage !== null) stored.usage = row.usage;
  if (row.in_reply_to) stored.in_reply_to = idFromStorable(row.in_reply_to);
  if (row.client_message_id !== null) stored.client_message_id = idFromStorable(row.client_message_id);
  return stored;
}

/** The reply of a stored exchange, as the wire shows it. */
export const replyOf = (row: ReplyRow, conversationId: string, author: 'user' | 'assistant' = 'assistant'): ConversationMessage =>
  messageOf(
    {
      id: row.reply_id,
      seq: row.reply_seq,
      author,
      agent_id: null,
      agent_name: null,
      text: row.reply_text,
      verified: row.reply_verified,
      client_message_id: row.client_message_id,
      usage: null,
      created_at: row.created_at,
    },
    conversationId,
  );
