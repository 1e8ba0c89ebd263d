import { randomFillSync } from 'node:crypto';

/** A message as stored and sent on the wire. */
export interface StoredMessage {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant';
  text: string;
  created_at: string;
}

/** A conversation belongs to the identity that started it (history-isolation). */
export interface StoredConversation {
  id: string;
  /** The project's widget key. */
  project: string;
  /** `user:<user_id>` or `visitor:<visitor_id>`: separate namespaces, so ids never collide. */
  owner: string;
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

/** A map of maps: a two-part key without building a string per lookup. */
class PairMap<V> {
  readonly #outer = new Map<string, Map<string, V>>();

  get(a: string, b: string): V | undefined {
    return this.#outer.get(a)?.get(b);
  }

  set(a: string, b: string, value: V): void {
    let inner = this.#outer.get(a);
    if (!inner) this.#outer.set(a, (inner = new Map<string, V>()));
    inner.set(b, value);
  }
}

/** The in-memory {@link ConversationStore}: for development, tests and the demo. */
export function createMemoryStore(): ConversationStore {
  const conversations = new Map<string, StoredConversation>();
  const messages = new Map<string, StoredMessage[]>();
  // By project, then owner / conversation id, then client message id.
  const latest = new PairMap<string>();
  const replies = new PairMap<StoredMessage>();
  const traits = new PairMap<Record<string, unknown>>();
  return {
    getConversation: (project, id) => {
      const conversation = conversations.get(id);
      return conversation && conversation.project === project ? conversation : null;
    },
    latestConversation: (project, owner) => {
      const id = latest.get(project, owner);
      return id ? (conversations.get(id) ?? null) : null;
    },
    createConversation: (project, owner) => {
      const conversation = { id: newId('conv'), project, owner };
      conversations.set(conversation.id, conversation);
      messages.set(conversation.id, []);
      latest.set(project, owner, conversation.id);
      return conversation;
    },
    listMessages: (id) => [...(messages.get(id) ?? [])],
    findReply: (id, clientMessageId) => replies.get(id, clientMessageId) ?? null,
    appendExchange: (id, message, reply, clientMessageId) => {
      if (clientMessageId) {
        const earlier = replies.get(id, clientMessageId);
        if (earlier) return earlier;
        replies.set(id, clientMessageId, reply);
      }
      messages.get(id)?.push(message, reply);
      return reply;
    },
    getTraits: (project, owner) => ({ ...traits.get(project, owner) }),
    setTraits: (project, owner, value) => traits.set(project, owner, { ...value }),
  };
}
