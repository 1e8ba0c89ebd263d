import { randomFillSync } from 'node:crypto';
import type { ConversationMessage, SupportStore } from './conversation-model.js';

export { createMemoryStore, type MemoryStoreOptions } from './memory-store.js';

/** A message as stored and sent on the wire (the support side's message: `seq`, `author`, `role`). */
export type StoredMessage = ConversationMessage;

/** A conversation belongs to the identity that started it (history-isolation). */
export interface StoredConversation {
  id: string;
  /** The project's widget key. */
  project: string;
  /** `user:<user_id>` or `visitor:<visitor_id>`: separate namespaces, so ids never collide. */
  owner: string;
}

/** What a chat exchange has read before `respond`: see {@link ConversationStore.chatExchange}. */
export interface ChatOpening {
  conversation: StoredConversation;
  /** The identity's stored client traits, as `getTraits` answers them. */
  traits: Record<string, unknown>;
  /** The identity's stored verified claims (`null` when none were stored). */
  claims: Record<string, unknown> | null;
}

/** One message of an exchange as `compose` makes it; the store gives it its seq and author. */
export interface ComposedMessage {
  id: string;
  text: string;
  created_at: string;
  /** The request that wrote it did not verify (docs/decisions/0203). */
  unverified?: true;
}

/**
 * What one chat stores: the user's message and the reply composed for it, or no reply when the
 * AI answers later, over the live channel (docs/decisions/0601).
 */
export interface ComposedExchange {
  message: ComposedMessage;
  reply: ComposedMessage | null;
}

/** What {@link ConversationStore.chatExchange} resolves with. */
export interface ChatResult {
  conversation: StoredConversation;
  /**
   * The reply on record: the one just stored, or the earlier one for a repeated `client_message_id`;
   * the user's message when the exchange had no reply (`ComposedExchange.reply` null).
   */
  reply: StoredMessage;
}

/** Caps per conversation: past one, a write is refused (`ConversationFullError`), never dropped. */
export interface ConversationCaps {
  /** Messages per conversation. @default 10_000 */
  maxMessages?: number;
  /** Bytes of message text (UTF-8) per conversation. @default 5_000_000 */
  maxBytes?: number;
}

/**
 * Where the reference API keeps conversations, messages and who users are: one contract,
 * implemented by the memory store, PGlite and PostgreSQL. The store is the one owner of
 * history-isolation: every read and write of a user's conversation names the project and the
 * owner, and a conversation of another identity is answered exactly like a missing one (null).
 */
export interface ConversationStore extends SupportStore {
  /**
   * A whole chat exchange, in as few round trips as the store can make it: finds the
   * conversation (`conversationId` when it is `owner`'s in `project`, else the identity's
   * latest, created when there is none), and when `clientMessageId` was already answered
   * there resolves with the reply on record without calling `compose`. Otherwise `compose`
   * gets the opening and returns the message and reply to store; it may be called a second
   * time when what it was given turned out stale (only one result is stored). The two
   * messages get the next two seqs. Resolves `null` when `conversationId` is not the
   * identity's; rejects with `ConversationFullError` past the conversation's caps.
   */
  chatExchange(
    project: string,
    owner: string,
    conversationId: string | null,
    clientMessageId: string | null,
    compose: (opening: ChatOpening) => Promise<ComposedExchange>,
  ): Promise<ChatResult | null>;
  /** The identity's conversation: `conversationId` if it is theirs, else (when null) their latest; null when none. */
  findConversation(project: string, owner: string, conversationId: string | null): Promise<StoredConversation | null>;
  /** The traits the client sent for an identity, merged over time (never the trusted claims). */
  getTraits(project: string, owner: string): Promise<Record<string, unknown>>;
  setTraits(project: string, owner: string, traits: Record<string, unknown>): Promise<void>;
  /**
   * Keeps the claims of a request whose token verified, for the inbox (the latest win). Only
   * ever called for a verified request; a request never reads them back as its own claims
   * (trusted-claims-per-request).
   */
  setVerifiedClaims(project: string, owner: string, claims: Record<string, unknown>): Promise<void>;
}

// Random bytes for 256 ids per refill, as crypto.randomUUID() buffers its own.
const ID_BYTES = 16;
const pool = Buffer.alloc(ID_BYTES * 256);
let poolOffset = pool.length;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const idBuffer = Buffer.alloc(64);

/**
 * An id for a stored record: `<prefix>_<UUID v4>`, as `${prefix}_${randomUUID()}` spells it.
 * Written into a buffer and read out as one flat string: `randomUUID()` builds its string
 * as a rope of concatenations, which every stored message would keep alive
 * (docs/perf-notes.md has the figures).
 * `prefix` is a short constant (`msg`, `conv`).
 */
export function newId(prefix: string): string {
  // `_` and the 36 characters of the UUID follow the prefix in the 64-byte buffer.
  if (prefix.length > idBuffer.length - 37) throw new RangeError(`newId: prefix over ${idBuffer.length - 37} characters.`);
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += ID_BYTES;
  // RFC 9562 version 4 and variant 10xx bits.
  pool[start + 6] = (pool[start + 6]! & 0x0f) | 0x40;
  pool[start + 8] = (pool[start + 8]! & 0x3f) | 0x80;
  let at = idBuffer.write(prefix, 0, 'latin1');
  idBuffer[at++] = 0x5f; // _
  for (let i = 0; i < ID_BYTES; i += 1) {
    if (i === 4 || i === 6 || i === 8 || i === 10) idBuffer[at++] = 0x2d; // -
    const byte = pool[start + i]!;
    idBuffer[at++] = HEX[byte >> 4]!;
    idBuffer[at++] = HEX[byte & 0x0f]!;
  }
  return idBuffer.toString('latin1', 0, at);
}
