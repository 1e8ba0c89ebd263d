import type { ChatOpening, ComposedExchange, ConversationStore, StoredConversation, StoredMessage } from './store.js';
import { createBatcher } from './batcher.js';
import {
  appendExchanges,
  openChats,
  type AppendCaps,
  type AppendInput,
  type OpenInput,
  type OpenRow,
  type ReplyRow,
} from './chat-batches.js';
import { ConversationFullError } from './conversation-full-error.js';
import { KnownIdentities } from './known-identities.js';
import type { SqlClient } from './sql-client.js';
import { idFromStorable, replyOf, storable, storableId } from './stored-form.js';
import { writeUserMessage } from './user-message-write.js';

/** The chat path of the SQL store, and the hooks its identity writes report through. */
export interface SqlChat {
  chatExchange: ConversationStore['chatExchange'];
  /** The store wrote an identity's traits; the row is now at `version`. */
  wroteTraits: (project: string, owner: string, traits: Record<string, unknown>, version: string) => void;
  /** The store wrote an identity's verified claims; the row is now at `version`. */
  wroteClaims: (project: string, owner: string, claims: Record<string, unknown>, version: string) => void;
}

type Opened = { opening: ChatOpening; earlier: StoredMessage | null };

/** How many identities a server remembers between chats (each ≤ ~4 KB of traits: ≤ ~20 MB). */
const KNOWN_IDENTITIES = 5_000;

/**
 * A chat on SQL in as few round trips as it can take:
 * - **Group commit.** The openings and the writes of the chats that arrive while earlier ones
 *   are at the database share one statement (`createBatcher`): PGlite runs one statement at a
 *   time, so one batch at once; a pool runs a few, leaving connections for history and settings.
 * - **One round trip for a returning user.** What a chat read of its identity (conversation,
 *   traits, the row's version) is kept (`KnownIdentities`), and the next chat is composed from
 *   it and written only while the row is still at that version — one statement. When another
 *   instance changed the row meanwhile, nothing is written, the chat reads afresh and is
 *   composed again (then two round trips, as a first chat takes).
 */
export function createSqlChat(client: SqlClient, newConversationId: () => string, caps: AppendCaps): SqlChat {
  const k = storableId;
  const batching = { concurrency: client.engine === 'pglite' ? 1 : 4, maxBatch: 200 };
  const open = createBatcher((inputs: OpenInput[]) => openChats(client, inputs), batching);
  const append = createBatcher((inputs: AppendInput[]) => appendExchanges(client, inputs, caps), batching);
  const known = new KnownIdentities(KNOWN_IDENTITIES);

  const openFresh = async (
    project: string,
    owner: string,
    conversationId: string | null,
    clientMessageId: string | null,
  ): Promise<Opened | null> => {
    const row: OpenRow | null = await open({
      project: k(project),
      owner: k(owner),
      requested: conversationId === null ? null : k(conversationId),
      clientMessageId: clientMessageId === null ? null : k(clientMessageId),
      fresh: newConversationId(),
    });
    if (!row) return null;
    if (row.version !== null)
      known.remember(
        KnownIdentities.key(k(project), k(owner)),
        row.id,
        conversationId === null,
        row.traits,
        String(row.version),
        row.claims,
      );
    const conversation: StoredConversation = { id: idFromStorable(row.id), project, owner };
    const earlier = row.reply_id ? replyOf(row as ReplyRow, conversation.id) : null;
    return { opening: { conversation, traits: row.traits ?? {}, claims: row.claims ?? null }, earlier };
  };

  /** Stores one exchange; with `guard`, only while the identity's row is at its version (else `null`). */
  const write = async (conversationId: string, composed: ComposedExchange, clientMessageId: string | null, guard: AppendInput['guard']) => {
    const { message: question, reply } = composed;
    if (reply === null) {
      // No reply to store with it (the AI answers later): the user's message alone, not batched.
      const row = await writeUserMessage(
        client,
        {
          conversationId: k(conversationId),
          clientMessageId: clientMessageId === null ? null : k(clientMessageId),
          messageId: k(question.id),
          messageText: storable(question.text),
          verified: !question.unverified,
          createdAt: question.created_at,
          guard,
        },
        caps,
      );
      return row && replyOf(row, conversationId, 'user');
    }
    const answer = await append({
      conversationId: k(conversationId),
      clientMessageId: clientMessageId === null ? null : k(clientMessageId),
      messageId: k(question.id),
      messageText: storable(question.text),
      verified: !question.unverified,
      replyId: k(reply.id),
      replyText: storable(reply.text),
      replyVerified: !reply.unverified,
      createdAt: question.created_at,
      guard,
    });
    if (answer && 'full' in answer && answer.full) throw new ConversationFullError(answer.full);
    return answer && replyOf(answer as ReplyRow, conversationId);
  };

  return {
    chatExchange: async (project, owner, conversationId, clientMessageId, compose) => {
      const key = KnownIdentities.key(k(project), k(owner));
      const entry = known.get(key);
      const id = conversationId === null ? entry?.latest : entry?.owned.has(k(conversationId)) ? k(conversationId) : undefined;
      if (entry && id) {
        const conversation: StoredConversation = { id: idFromStorable(id), project, owner };
        const traits = JSON.parse(entry.traits) as Record<string, unknown>;
        const claims = JSON.parse(entry.claims) as Record<string, unknown> | null;
        // A retry of an exchange already stored is composed again, and the write answers the
        // reply on record, as it does for one another instance just stored.
        const composed = await compose({ conversation, traits, claims });
        // The version this server last saw — its own trait write in `compose` moved it.
        const version = known.get(key)?.version ?? entry.version;
        const reply = await write(conversation.id, composed, clientMessageId, { project: k(project), owner: k(owner), version });
        if (reply) return { conversation, reply };
        known.forget(key);
      }
      const opened = await openFresh(project, owner, conversationId, clientMessageId);
      if (!opened) return null;
      const { conversation } = opened.opening;
      if (opened.earlier) return { conversation, reply: opened.earlier };
      const reply = await write(conversation.id, await compose(opened.opening), clientMessageId, null);
      return { conversation, reply: reply! };
    },
    wroteTraits: (project, owner, traits, version) => known.wroteTraits(KnownIdentities.key(k(project), k(owner)), traits, version),
    wroteClaims: (project, owner, claims, version) => known.wroteClaims(KnownIdentities.key(k(project), k(owner)), claims, version),
  };
}
