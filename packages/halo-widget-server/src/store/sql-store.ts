import type { ConversationStore, ConversationCaps, StoredConversation } from './store.js';
import { createSqlChat } from './chat-exchange.js';
import { resolveCaps } from './conversation-full-error.js';
import { createLocalNotifier } from './local-notifier.js';
import type { SqlClient } from './sql-client.js';
import { listenForEvents, publishDeltaOn } from './sql-notifier.js';
import { createSqlSupport, SET_CLAIMS } from './sql-support.js';
import { idFromStorable, storableId, storableJson } from './stored-form.js';

/** A {@link ConversationStore} in SQL, with its client (for other features) and `close()`. */
export interface SqlConversationStore extends ConversationStore {
  readonly client: SqlClient;
  /** Stops listening for events and closes the database connection if the store opened it. */
  close(): Promise<void>;
}

/** Options of the SQL store. */
export interface SqlStoreOptions {
  /** Caps per conversation. @default { maxMessages: 10_000, maxBytes: 5_000_000 } */
  caps?: ConversationCaps;
}

const SET_TRAITS = `
insert into identities (project, owner, traits) values ($1, $2, $3::text::json)
on conflict (project, owner) do update set traits = excluded.traits, version = identities.version + 1, updated_at = now()
returning version`;

const LATEST = `
select c.id from identities i join conversations c on c.id = i.latest_conversation_id where i.project = $1 and i.owner = $2`;

/**
 * The {@link ConversationStore} on SQL: the same statements on PostgreSQL and PGlite. A
 * returning user's chat costs one round trip, a first chat two (chat-exchange.ts), plus one
 * when the identity's traits or verified claims change. Every write announces what it stored
 * (`pg_notify`, delivered on commit); the store's notifier hears them once
 * {@link startSqlStore} has it listening. The schema must be migrated first (`migrate`).
 */
export function createSqlStore(client: SqlClient, newConversationId: () => string, options: SqlStoreOptions = {}): SqlConversationStore {
  const k = storableId;
  const caps = resolveCaps(options.caps);
  const chat = createSqlChat(client, newConversationId, caps);
  const notifier = createLocalNotifier();
  let stopListening: (() => Promise<void>) | null = null;
  const store: SqlConversationStore & { listen(): Promise<void> } = {
    client,
    notifier,
    ...createSqlSupport(client, caps),
    chatExchange: chat.chatExchange,
    publishDelta: (event) => publishDeltaOn(client, notifier, event),
    aiUsage: async (project) => {
      const { rows } = await client.query<{ replies: string | number; prompt: string | number | null; completion: string | number | null }>(
        `select count(*) as replies, sum((m.usage ->> 'prompt_tokens')::bigint) as prompt, sum((m.usage ->> 'completion_tokens')::bigint) as completion
         from messages m join conversations c on c.id = m.conversation_id where c.project = $1 and m.usage is not null`,
        [k(project)],
      );
      const row = rows[0];
      return {
        replies: Number(row?.replies ?? 0),
        prompt_tokens: Number(row?.prompt ?? 0),
        completion_tokens: Number(row?.completion ?? 0),
      };
    },
    async listen() {
      stopListening = await listenForEvents(client, notifier);
    },
    close: async () => {
      try {
        await stopListening?.();
      } finally {
        await client.close();
      }
    },
    findConversation: async (project, owner, conversationId) => {
      const { rows } =
        conversationId === null
          ? await client.query<{ id: string }>(LATEST, [k(project), k(owner)])
          : await client.query<{ id: string }>('select id from conversations where id = $1 and project = $2 and owner = $3', [
              k(conversationId),
              k(project),
              k(owner),
            ]);
      return rows[0] ? ({ id: idFromStorable(rows[0].id), project, owner } satisfies StoredConversation) : null;
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
    setVerifiedClaims: async (project, owner, claims) => {
      const stored = storableJson(claims) as Record<string, unknown>;
      const { rows } = await client.query<{ version: string | number }>(SET_CLAIMS, [k(project), k(owner), JSON.stringify(stored)]);
      chat.wroteClaims(project, owner, stored, String(rows[0]!.version));
    },
  };
  return store;
}

/** A SQL store listening for its database's events (PostgreSQL: across instances). */
export async function startSqlStore(
  client: SqlClient,
  newConversationId: () => string,
  options: SqlStoreOptions = {},
): Promise<SqlConversationStore> {
  const store = createSqlStore(client, newConversationId, options) as SqlConversationStore & { listen(): Promise<void> };
  await store.listen();
  return store;
}
