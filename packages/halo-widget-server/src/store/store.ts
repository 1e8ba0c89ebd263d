import { randomFillSync } from 'node:crypto';

/** A message as stored and sent on the wire. */
export interface StoredMessage {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant';
  text: string;
  created_at: string;
  /**
   * Set (only) on the messages stored by a request for a `user_id` that was not verified
   * (monitor mode, verification off): history shows which messages the user may not have sent.
   */
  unverified?: true;
}

/** A conversation belongs to the identity that started it (history-isolation). */
export interface StoredConversation {
  id: string;
  /** The project's widget key. */
  project: string;
  /** `user:<user_id>` or `visitor:<visitor_id>`: separate namespaces, so ids never collide. */
  owner: string;
}

/** What a chat exchange reads before `respond`, from one call: see {@link ConversationStore.openChat}. */
export interface ChatOpening {
  conversation: StoredConversation;
  /** The reply already stored for the request's `client_message_id`, if any. */
  earlier: StoredMessage | null;
  /** The identity's stored traits, as `getTraits` answers them. */
  traits: Record<string, unknown>;
}

/** What one chat stores: the user's message and the reply composed for it. */
export interface ComposedExchange {
  message: StoredMessage;
  reply: StoredMessage;
}

/**
 * Where the reference API keeps conversations and user traits. Every method may return a
 * promise, so a database can implement it; `createMemoryStore()` is the default.
 */
export interface ConversationStore {
  getConversation(project: string, conversationId: string): Promise<StoredConversation | null> | StoredConversation | null;
  latestConversation(project: string, owner: string): Promise<StoredConversation | null> | StoredConversation | null;
  createConversation(project: string, owner: string): Promise<StoredConversation> | StoredConversation;
  listMessages(conversationId: string): Promise<StoredMessage[]> | StoredMessage[];
  /** The reply stored for a `client_message_id` in this conversation, if any. */
  findReply(conversationId: string, clientMessageId: string): Promise<StoredMessage | null> | StoredMessage | null;
  /**
   * Stores a user message and its reply together, so a failed reply stores nothing.
   * Resolves with the reply now on record for `clientMessageId`: `reply`, or, when that id
   * was already answered in this conversation, the earlier reply (and then stores nothing).
   * A database makes this atomic with a unique key on (conversation, client message id).
   */
  appendExchange(
    conversationId: string,
    message: StoredMessage,
    reply: StoredMessage,
    clientMessageId: string | null,
  ): Promise<StoredMessage> | StoredMessage;
  /** The traits the client sent for an identity, merged over time (never the trusted claims). */
  getTraits(project: string, owner: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  setTraits(project: string, owner: string, traits: Record<string, unknown>): Promise<void> | void;
  /**
   * Optional, for a database: what a chat reads before `respond`, in one round trip — the
   * conversation (`conversationId` when it is `owner`'s in `project`, else the identity's
   * latest, created when there is none), the earlier reply for `clientMessageId`, and the
   * identity's traits. Resolves `null` when `conversationId` is not this identity's. Without
   * it the API calls the methods above one by one.
   */
  openChat?(
    project: string,
    owner: string,
    conversationId: string | null,
    clientMessageId: string | null,
  ): Promise<ChatOpening | null> | ChatOpening | null;
  /**
   * Optional, for a database: a whole chat exchange in as few round trips as the store can
   * make it. `compose` gets what {@link openChat} would answer and returns the message and
   * reply to store; it may be called a second time when what it was given turned out stale
   * (only one result is stored), and not at all for a `clientMessageId` already answered.
   * Resolves with the conversation and the reply on record, or `null` as `openChat` does.
   */
  chatExchange?(
    project: string,
    owner: string,
    conversationId: string | null,
    clientMessageId: string | null,
    compose: (opening: ChatOpening) => Promise<ComposedExchange>,
  ): Promise<{ conversation: StoredConversation; reply: StoredMessage } | null>;
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

/** Bounds of {@link createMemoryStore}: past one, the least recently used entries are dropped. */
export interface MemoryStoreOptions {
  /** Conversations kept (with their messages). @default 2_000 */
  maxConversations?: number;
  /** Identities whose traits and latest conversation are kept. @default 2_000 */
  maxIdentities?: number;
  /** Messages kept over all conversations; one conversation alone over it loses its oldest exchanges. @default 20_000 */
  maxMessages?: number;
}

interface Thread {
  conversation: StoredConversation;
  messages: StoredMessage[];
  /** The client_message_id of each stored exchange (two messages each), oldest first. */
  clientIds: (string | null)[];
  replies: Map<string, StoredMessage>;
}

interface Remembered {
  latest: string | null;
  traits: Record<string, unknown> | null;
}

/** Moves `key` to the most recently used end of a Map (Maps iterate in insertion order). */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
}

const positive = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`createMemoryStore: ${name} must be a positive integer.`);
  return value;
};

/**
 * The in-memory {@link ConversationStore}: for development, tests and `--memory`. Bounded, so
 * no traffic grows it without limit: past `maxConversations`, `maxIdentities` or
 * `maxMessages`, the least recently used conversations and identities are forgotten (a
 * forgotten identity's next chat starts a new conversation). Nothing survives a restart.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): ConversationStore {
  const maxConversations = positive(options.maxConversations, 2_000, 'maxConversations');
  const maxIdentities = positive(options.maxIdentities, 2_000, 'maxIdentities');
  const maxMessages = positive(options.maxMessages, 20_000, 'maxMessages');
  const threads = new Map<string, Thread>();
  // Keyed by the project's length, the project, then the owner: no two pairs share a key.
  const identities = new Map<string, Remembered>();
  let messageCount = 0;
  const keyOf = (project: string, owner: string) => `${project.length}:${project}${owner}`;

  const identity = (project: string, owner: string): Remembered => {
    const key = keyOf(project, owner);
    const found = identities.get(key) ?? { latest: null, traits: null };
    touch(identities, key, found);
    if (identities.size > maxIdentities) identities.delete(identities.keys().next().value!);
    return found;
  };
  const forget = (id: string) => {
    messageCount -= threads.get(id)!.messages.length;
    threads.delete(id);
  };
  const thread = (id: string): Thread | undefined => {
    const found = threads.get(id);
    if (found) touch(threads, id, found);
    return found;
  };
  const create = (project: string, owner: string): Thread => {
    const made: Thread = { conversation: { id: newId('conv'), project, owner }, messages: [], clientIds: [], replies: new Map() };
    threads.set(made.conversation.id, made);
    if (threads.size > maxConversations) forget(threads.keys().next().value!);
    identity(project, owner).latest = made.conversation.id;
    return made;
  };
  const latest = (project: string, owner: string): Thread | undefined => {
    const id = identities.get(keyOf(project, owner))?.latest;
    return id ? thread(id) : undefined;
  };

  return {
    openChat: (project, owner, conversationId, clientMessageId) => {
      let found: Thread | undefined;
      if (conversationId !== null) {
        found = thread(conversationId);
        if (!found || found.conversation.project !== project || found.conversation.owner !== owner) return null;
      } else {
        found = latest(project, owner) ?? create(project, owner);
      }
      const earlier = clientMessageId === null ? null : (found.replies.get(clientMessageId) ?? null);
      return { conversation: found.conversation, earlier, traits: { ...identities.get(keyOf(project, owner))?.traits } };
    },
    getConversation: (project, id) => {
      const found = thread(id);
      return found && found.conversation.project === project ? found.conversation : null;
    },
    latestConversation: (project, owner) => latest(project, owner)?.conversation ?? null,
    createConversation: (project, owner) => create(project, owner).conversation,
    listMessages: (id) => [...(threads.get(id)?.messages ?? [])],
    findReply: (id, clientMessageId) => threads.get(id)?.replies.get(clientMessageId) ?? null,
    appendExchange: (id, message, reply, clientMessageId) => {
      const found = thread(id);
      if (!found) return reply; // forgotten meanwhile (evicted): nothing to append to
      if (clientMessageId) {
        const earlier = found.replies.get(clientMessageId);
        if (earlier) return earlier;
        found.replies.set(clientMessageId, reply);
      }
      found.messages.push(message, reply);
      found.clientIds.push(clientMessageId);
      messageCount += 2;
      // The oldest conversations go first; this one, just used, is the newest.
      while (messageCount > maxMessages && threads.size > 1) forget(threads.keys().next().value!);
      while (messageCount > maxMessages && found.messages.length > 0) {
        found.messages.splice(0, 2);
        const dropped = found.clientIds.shift();
        if (dropped) found.replies.delete(dropped);
        messageCount -= 2;
      }
      return reply;
    },
    getTraits: (project, owner) => ({ ...identities.get(keyOf(project, owner))?.traits }),
    setTraits: (project, owner, value) => {
      identity(project, owner).traits = { ...value };
    },
  };
}
