import type { ChatOpening, ConversationStore, StoredConversation, StoredMessage } from './store.js';
import type { ReplyRow } from './chat-batches.js';
import { createSqlChat } from './chat-exchange.js';
import type { SqlClient } from './sql-client.js';
import { idFromStorable, iso, message, replyOf, storableId, storableJson, type ExchangeRow } from './stored-form.js';

/** A {@link ConversationStore} in SQL, with its client (for other features) and `close()`. */
export interface SqlConversationStore extends ConversationStore {
  readonly client: SqlClient;
  openChat(project: string, owner: string, conversationId: string | null, clientMessageId: string | null): Promise<ChatOpening | null>;
  /** Closes the database connection if the store opened it. */
  close(): Promise<void>;
}

const CREATE = `
with made as (insert into conversations (id, project, owner) values ($1, $2, $3) returning id)
insert into identities (project, owner, latest_conversation_id) select $2, $3, id from made
on conflict (project, owner) do update
  set latest_conversation_id = excluded.latest_conversation_id, version = identities.version + 1, updated_at = now()`;

const SET_TRAITS = `
insert into identities (project, owner, traits) values ($1, $2, $3::text::json)
on conflict (project, owner) do update set traits = excluded.traits, version = identities.version + 1, updated_at = now()
returning version`;

/**
 * The {@link ConversationStore} on SQL: the same statements on PostgreSQL and PGlite. A
 * returning user's chat costs one round trip, a first chat two (chat-exchange.ts), plus one
 * when the identity's traits change. The schema must be migrated first (`migrate`).
 */
export function createSqlStore(client: SqlClient, newConversationId: () => string): SqlConversationStore {
  const k = storableId;
  const conversationOf = (row: StoredConversation): StoredConversation => ({
    id: idFromStorable(row.id),
    project: idFromStorable(row.project),
    owner: idFromStorable(row.owner),
  });
  const chat = createSqlChat(client, newConversationId);
  return {
    client,
    close: () => client.close(),
    openChat: chat.openChat,
    appendExchange: chat.appendExchange,
    chatExchange: chat.chatExchange,
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
    getTraits: async (project, owner) => {
      const { rows } = await client.query<{ traits: Record<string, unknown> | null }>(
        'select traits from identities where project = $1 and owner = $2',
        [k(project), k(owner)],
      );
      return rows[0]?.traits ?? {};
    },
    setTraits: async (project, owner, traits) => {
      const stored = storableJson(traits) as Record<string, unknown>;
      const { rows } = await client.query<{ version: string | number }>(SET_TRAITS, [k(project), k(owner), JSON.stringify(stored)]);
      chat.wroteTraits(project, owner, stored, String(rows[0]!.version));
    },
  };
}
