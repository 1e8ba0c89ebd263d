import type { ChatOpening, ConversationStore, StoredConversation, StoredMessage } from '../store.js';
import type { SqlClient } from './sql-client.js';

/** A {@link ConversationStore} in SQL, with its client (for other features) and `close()`. */
export interface SqlConversationStore extends ConversationStore {
  readonly client: SqlClient;
  openChat(project: string, owner: string, conversationId: string | null, clientMessageId: string | null): Promise<ChatOpening | null>;
  /** Closes the database connection if the store opened it. */
  close(): Promise<void>;
}

/** A stored message may carry `unverified: true` (its request was not verified); the column says `verified`. */
type Flagged = StoredMessage & { unverified?: boolean };

interface ReplyRow {
  reply_id: string;
  reply_text: string;
  reply_verified: boolean;
  created_at: Date | string;
}

interface ExchangeRow extends ReplyRow {
  message_id: string;
  message_text: string;
  verified: boolean;
}

interface OpenRow extends Partial<ReplyRow> {
  id: string;
  traits: Record<string, unknown> | null;
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

function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[storable(key)] = storableJson(inner);
    return out;
  }
  return value;
}

const iso = (value: Date | string): string => (value instanceof Date ? value.toISOString() : new Date(value).toISOString());

function message(
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

const replyOf = (row: ReplyRow, conversationId: string): StoredMessage =>
  message(row.reply_id, conversationId, 'assistant', row.reply_text, iso(row.created_at), row.reply_verified);

// Every chat: the conversation (latest of the identity, created when there is none), the
// identity's traits and the reply already stored for the client_message_id, in one
// statement. Two first messages at once: both insert a conversation, the identity row keeps
// the first one linked (coalesce) and both continue it; the other is left empty.
const OPEN_LATEST = `
with found as (
  select latest_conversation_id as id, traits from identities where project = $1 and owner = $2
), made as (
  insert into conversations (id, project, owner)
  select $3, $1, $2 where not exists (select 1 from found where id is not null)
  returning id
), linked as (
  insert into identities as i (project, owner, latest_conversation_id)
  select $1, $2, id from made
  on conflict (project, owner) do update
    set latest_conversation_id = coalesce(i.latest_conversation_id, excluded.latest_conversation_id), updated_at = now()
  returning latest_conversation_id as id, traits
), chosen as (
  select id, traits from linked union all select id, traits from found where id is not null
)
select chosen.id, chosen.traits, e.reply_id, e.reply_text, e.reply_verified, e.created_at
from chosen left join exchanges e on e.conversation_id = chosen.id and e.client_message_id = $4
limit 1`;

// A named conversation: ownership (project + owner) is part of the lookup, so another
// identity's id finds nothing, exactly like a missing one.
const OPEN_NAMED = `
select c.id, i.traits, e.reply_id, e.reply_text, e.reply_verified, e.created_at
from conversations c
left join identities i on i.project = c.project and i.owner = c.owner
left join exchanges e on e.conversation_id = c.id and e.client_message_id = $4
where c.id = $3 and c.project = $1 and c.owner = $2`;

// The exchange in one statement. A repeated client_message_id conflicts on the unique key;
// DO UPDATE (a no-op) then returns the row already stored — also one another instance
// committed while this statement waited, which a SELECT in the same statement would not see.
const APPEND = `
insert into exchanges (conversation_id, client_message_id, message_id, message_text, verified, reply_id, reply_text, reply_verified, created_at)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
on conflict (conversation_id, client_message_id) do update set client_message_id = excluded.client_message_id
returning reply_id, reply_text, reply_verified, created_at`;

const CREATE = `
with made as (insert into conversations (id, project, owner) values ($1, $2, $3) returning id)
insert into identities (project, owner, latest_conversation_id) select $2, $3, id from made
on conflict (project, owner) do update set latest_conversation_id = excluded.latest_conversation_id, updated_at = now()`;

const SET_TRAITS = `
insert into identities (project, owner, traits) values ($1, $2, $3::text::json)
on conflict (project, owner) do update set traits = excluded.traits, updated_at = now()`;

/**
 * The {@link ConversationStore} on SQL: the same statements on PostgreSQL and PGlite. A chat
 * exchange costs two round trips (`openChat`, then `appendExchange`), plus one when the
 * identity's traits change. The schema must be migrated first (`migrate`).
 */
export function createSqlStore(client: SqlClient, newConversationId: () => string): SqlConversationStore {
  const k = storableId;
  const conversationOf = (row: StoredConversation): StoredConversation => ({
    id: idFromStorable(row.id),
    project: idFromStorable(row.project),
    owner: idFromStorable(row.owner),
  });
  return {
    client,
    close: () => client.close(),
    openChat: async (project, owner, conversationId, clientMessageId) => {
      const text = conversationId === null ? OPEN_LATEST : OPEN_NAMED;
      const { rows } = await client.query<OpenRow>(text, [
        k(project),
        k(owner),
        k(conversationId ?? newConversationId()),
        clientMessageId === null ? null : k(clientMessageId),
      ]);
      const row = rows[0];
      if (!row) return null;
      const conversation: StoredConversation = { id: idFromStorable(row.id), project, owner };
      const earlier = row.reply_id ? replyOf(row as ReplyRow, conversation.id) : null;
      return { conversation, earlier, traits: row.traits ?? {} };
    },
    getConversation: async (project, id) => {
      const { rows } = await client.query<StoredConversation>(
        'select id, project, owner from conversations where id = $1 and project = $2',
        [k(id), k(project)],
      );
      return rows[0] ? conversationOf(rows[0]) : null;
    },
    latestConversation: async (project, owner) => {
      const { rows } = await client.query<StoredConversation>(
        'select c.id, c.project, c.owner from identities i join conversations c on c.id = i.latest_conversation_id where i.project = $1 and i.owner = $2',
        [k(project), k(owner)],
      );
      return rows[0] ? conversationOf(rows[0]) : null;
    },
    createConversation: async (project, owner) => {
      const id = newConversationId();
      await client.query(CREATE, [id, k(project), k(owner)]);
      return { id, project, owner };
    },
    listMessages: async (id) => {
      const { rows } = await client.query<ExchangeRow>(
        'select message_id, message_text, verified, reply_id, reply_text, reply_verified, created_at from exchanges where conversation_id = $1 order by n',
        [k(id)],
      );
      const messages: StoredMessage[] = [];
      for (const row of rows) {
        const created = iso(row.created_at);
        messages.push(message(row.message_id, id, 'user', row.message_text, created, row.verified), replyOf(row, id));
      }
      return messages;
    },
    findReply: async (id, clientMessageId) => {
      const { rows } = await client.query<ReplyRow>(
        'select reply_id, reply_text, reply_verified, created_at from exchanges where conversation_id = $1 and client_message_id = $2',
        [k(id), k(clientMessageId)],
      );
      return rows[0] ? replyOf(rows[0], id) : null;
    },
    appendExchange: async (id, question, reply, clientMessageId) => {
      const { rows } = await client.query<ReplyRow>(APPEND, [
        k(id),
        clientMessageId === null ? null : k(clientMessageId),
        storableId(question.id),
        storable(question.text),
        !(question as Flagged).unverified,
        storableId(reply.id),
        storable(reply.text),
        !(reply as Flagged).unverified,
        question.created_at,
      ]);
      return replyOf(rows[0]!, id);
    },
    getTraits: async (project, owner) => {
      const { rows } = await client.query<{ traits: Record<string, unknown> | null }>(
        'select traits from identities where project = $1 and owner = $2',
        [k(project), k(owner)],
      );
      return rows[0]?.traits ?? {};
    },
    setTraits: async (project, owner, traits) => {
      await client.query(SET_TRAITS, [k(project), k(owner), JSON.stringify(storableJson(traits))]);
    },
  };
}
