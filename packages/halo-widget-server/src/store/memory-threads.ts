import type { ConversationMessage, ConversationSummary } from './conversation-model.js';
import { ConversationFullError, type resolveCaps } from './conversation-full-error.js';
import { newId } from './store.js';

// The memory store's bounded state, apart from the ConversationStore methods built on it
// (memory-store.ts): which conversations and identities are kept, in least-recently-used
// order, and what is forgotten once a bound is passed.

/** A conversation held in memory. */
export interface Thread {
  summary: ConversationSummary;
  /** Oldest first, by seq without gaps (the oldest may have been dropped for `maxMessages`). */
  messages: ConversationMessage[];
  /** Bytes of text of every message ever stored in it (what the bytes cap counts). */
  bytes: number;
  /** By `author` and `client_message_id`. */
  byClientId: Map<string, ConversationMessage>;
}

/** What is kept of one identity. */
export interface Remembered {
  latest: string | null;
  traits: Record<string, unknown> | null;
  claims: Record<string, unknown> | null;
  claimsAt: string | null;
  firstSeen: string;
  lastSeen: string;
}

/** Moves `key` to the most recently used end of a Map (Maps iterate in insertion order). */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
}

/** A copy a caller cannot change the store through. */
export const clone = <T>(value: T): T => structuredClone(value);
/** The key of a message in {@link Thread.byClientId}. */
export const idKey = (author: string, clientMessageId: string) => `${author}\0${clientMessageId}`;

/** The resolved bounds of {@link createMemoryThreads} (see MemoryStoreOptions). */
export interface MemoryBounds {
  maxConversations: number;
  maxIdentities: number;
  maxMessages: number;
  caps: ReturnType<typeof resolveCaps>;
}

/** The state of one memory store: its conversations and identities, and the bounded ways to touch them. */
export function createMemoryThreads({ maxConversations, maxIdentities, maxMessages, caps }: MemoryBounds) {
  const threads = new Map<string, Thread>();
  // Keyed by the project's length, the project, then the owner: no two pairs share a key.
  const identities = new Map<string, Remembered>();
  let messageCount = 0;
  const keyOf = (project: string, owner: string) => `${project.length}:${project}${owner}`;
  const now = () => new Date().toISOString();

  const identity = (project: string, owner: string): Remembered => {
    const key = keyOf(project, owner);
    const at = now();
    const found = identities.get(key) ?? { latest: null, traits: null, claims: null, claimsAt: null, firstSeen: at, lastSeen: at };
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
  const owned = (project: string, id: string, owner?: string): Thread | undefined => {
    const found = thread(id);
    return found && found.summary.project === project && (owner === undefined || found.summary.owner === owner) ? found : undefined;
  };
  const create = (project: string, owner: string): Thread => {
    const at = now();
    const summary: ConversationSummary = {
      id: newId('conv'),
      project,
      owner,
      status: 'open',
      needs_human: false,
      assignee: null,
      last_seq: 0,
      last_message_at: at,
      created_at: at,
    };
    const made: Thread = { summary, messages: [], bytes: 0, byClientId: new Map() };
    threads.set(summary.id, made);
    if (threads.size > maxConversations) forget(threads.keys().next().value!);
    identity(project, owner).latest = summary.id;
    return made;
  };
  const latest = (project: string, owner: string): Thread | undefined => {
    const id = identities.get(keyOf(project, owner))?.latest;
    return id ? thread(id) : undefined;
  };
  /** Checks the caps for `texts`, then stores the messages at the next seqs. */
  const append = (found: Thread, made: Omit<ConversationMessage, 'seq' | 'conversation_id'>[]): ConversationMessage[] => {
    const bytes = made.reduce((sum, m) => sum + Buffer.byteLength(m.text), 0);
    if (found.summary.last_seq + made.length > caps.maxMessages) throw new ConversationFullError('messages');
    if (found.bytes + bytes > caps.maxBytes) throw new ConversationFullError('bytes');
    const stored = made.map((m) => ({ ...m, conversation_id: found.summary.id, seq: ++found.summary.last_seq }) as ConversationMessage);
    found.bytes += bytes;
    found.summary.last_message_at = stored.at(-1)!.created_at;
    found.messages.push(...stored);
    messageCount += stored.length;
    const who = identities.get(keyOf(found.summary.project, found.summary.owner));
    if (who) who.lastSeen = found.summary.last_message_at;
    // The oldest conversations go first; this one, just used, is the newest.
    while (messageCount > maxMessages && threads.size > 1) forget(threads.keys().next().value!);
    while (messageCount > maxMessages && found.messages.length > 0) {
      const dropped = found.messages.shift()!;
      if (dropped.client_message_id) found.byClientId.delete(idKey(dropped.author, dropped.client_message_id));
      messageCount -= 1;
    }
    return stored;
  };
  return { threads, identities, keyOf, now, identity, thread, owned, create, latest, append };
}
