import type { ConversationMessage, NewMessage, StoreEvent } from './conversation-model.js';
import { resolveCaps } from './conversation-full-error.js';
import { cursorOf, previewOf, resolveListQuery, whoFrom } from './inbox-query.js';
import { createLocalNotifier } from './local-notifier.js';
import { readMessagePage } from './message-range.js';
import { clone, createMemoryThreads, idKey, type Thread } from './memory-threads.js';
import { newId, type ComposedMessage, type ConversationCaps, type ConversationStore, type StoredConversation } from './store.js';
import { readStoredTraits, traitValues } from '../identity/traits.js';

/** Bounds of {@link createMemoryStore}: past one, the least recently used entries are dropped. */
export interface MemoryStoreOptions {
  /** Conversations kept (with their messages). @default 2_000 */
  maxConversations?: number;
  /** Identities whose traits and latest conversation are kept. @default 2_000 */
  maxIdentities?: number;
  /** Messages kept over all conversations; one conversation alone over it loses its oldest messages. @default 20_000 */
  maxMessages?: number;
  /** Caps per conversation, refused past (not dropped). @default { maxMessages: 10_000, maxBytes: 5_000_000 } */
  caps?: ConversationCaps;
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
 * Events are announced in this process, after each write.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): ConversationStore {
  const maxConversations = positive(options.maxConversations, 2_000, 'maxConversations');
  const maxIdentities = positive(options.maxIdentities, 2_000, 'maxIdentities');
  const maxMessages = positive(options.maxMessages, 20_000, 'maxMessages');
  const caps = resolveCaps(options.caps);
  const notifier = createLocalNotifier();
  const { threads, identities, keyOf, now, identity, owned, create, latest, append } = createMemoryThreads({
    maxConversations,
    maxIdentities,
    maxMessages,
    caps,
  });
  const conversationOf = (found: Thread): StoredConversation => ({
    id: found.summary.id,
    project: found.summary.project,
    owner: found.summary.owner,
  });
  const announce = (found: Thread, stored: ConversationMessage[]) => {
    for (const message of stored) {
      const event: StoreEvent = {
        type: 'message.created',
        project: found.summary.project,
        conversation_id: found.summary.id,
        owner: found.summary.owner,
        seq: message.seq,
        message_id: message.id,
        author: message.author,
      };
      notifier.emit(event);
    }
  };
  const asMessage = (made: ComposedMessage, author: 'user' | 'assistant', clientMessageId: string | null) => {
    const message: Omit<ConversationMessage, 'seq' | 'conversation_id'> = {
      id: made.id,
      author,
      role: author,
      text: made.text,
      created_at: made.created_at,
    };
    if (made.unverified) message.unverified = true;
    if (clientMessageId !== null) message.client_message_id = clientMessageId;
    return message;
  };

  return {
    notifier,
    async publishDelta(event) {
      notifier.emit(event);
    },
    async aiUsage(project) {
      const total = { replies: 0, prompt_tokens: 0, completion_tokens: 0 };
      for (const found of threads.values()) {
        if (found.summary.project !== project) continue;
        for (const m of found.messages) {
          if (!m.usage) continue;
          total.replies += 1;
          total.prompt_tokens += m.usage.prompt_tokens;
          total.completion_tokens += m.usage.completion_tokens;
        }
      }
      return total;
    },
    async chatExchange(project, owner, conversationId, clientMessageId, compose) {
      const found = conversationId === null ? (latest(project, owner) ?? create(project, owner)) : owned(project, conversationId, owner);
      if (!found) return null;
      // An exchange without a reply (the AI answers later) is on record as its user message.
      const onRecord = () =>
        clientMessageId === null
          ? undefined
          : (found.byClientId.get(idKey('assistant', clientMessageId)) ?? found.byClientId.get(idKey('user', clientMessageId)));
      const earlier = onRecord();
      if (earlier) return { conversation: conversationOf(found), reply: clone(earlier) };
      const who = identities.get(keyOf(project, owner));
      const composed = await compose({ conversation: conversationOf(found), traits: { ...who?.traits }, claims: who?.claims ?? null });
      // Another exchange of this id may have finished while `compose` ran: the first stays.
      const raced = onRecord();
      if (raced) return { conversation: conversationOf(found), reply: clone(raced) };
      const made = [asMessage(composed.message, 'user', clientMessageId)];
      if (composed.reply) made.push(asMessage(composed.reply, 'assistant', clientMessageId));
      const stored = append(found, made);
      if (clientMessageId !== null) for (const message of stored) found.byClientId.set(idKey(message.author, clientMessageId), message);
      announce(found, stored);
      return { conversation: conversationOf(found), reply: clone(stored.at(-1)!) };
    },
    async findConversation(project, owner, conversationId) {
      const found = conversationId === null ? latest(project, owner) : owned(project, conversationId, owner);
      return found ? conversationOf(found) : null;
    },
    async getTraits(project, owner) {
      return clone({ ...identities.get(keyOf(project, owner))?.traits });
    },
    async setTraits(project, owner, value) {
      identity(project, owner).traits = clone(value);
    },
    async setVerifiedClaims(project, owner, claims) {
      const who = identity(project, owner);
      who.claims = clone(claims);
      who.claimsAt = now();
    },
    async readMessages(project, conversationId, range) {
      const found = owned(project, conversationId);
      if (!found) return null;
      const first = found.messages[0]?.seq ?? found.summary.last_seq + 1;
      return readMessagePage(first, found.summary.last_seq, range, (seq) => clone(found.messages[seq - first]!));
    },
    async appendMessage(project, conversationId, message: NewMessage) {
      const found = owned(project, conversationId);
      if (!found) return null;
      const key = message.client_message_id === null ? null : idKey(message.author, message.client_message_id);
      const earlier = key === null ? undefined : found.byClientId.get(key);
      if (earlier) return clone(earlier);
      const made: Omit<ConversationMessage, 'seq' | 'conversation_id'> = {
        id: message.id ?? newId('msg'),
        author: message.author,
        role: 'assistant',
        text: message.text,
        created_at: now(),
      };
      if (message.agent) made.agent = { ...message.agent };
      if (message.usage) made.usage = { ...message.usage };
      if (message.in_reply_to) made.in_reply_to = message.in_reply_to;
      if (message.client_message_id !== null) made.client_message_id = message.client_message_id;
      const [stored] = append(found, [made]);
      if (key !== null) found.byClientId.set(key, stored!);
      // A person answered: the conversation no longer waits for one (docs/decisions/0812).
      const cleared = message.author === 'agent' && found.summary.needs_human;
      if (cleared) found.summary.needs_human = false;
      announce(found, [stored!]);
      if (cleared) notifier.emit({ type: 'conversation.updated', project, conversation_id: conversationId, owner: found.summary.owner });
      return clone(stored!);
    },
    async getSummary(project, conversationId) {
      const found = owned(project, conversationId);
      return found ? { ...found.summary } : null;
    },
    async locateConversation(projects, conversationId) {
      const found = threads.get(conversationId);
      return found && projects.includes(found.summary.project) ? { ...found.summary } : null;
    },
    async updateConversation(project, conversationId, patch) {
      const found = owned(project, conversationId);
      if (!found) return null;
      if (patch.status !== undefined) found.summary.status = patch.status;
      if (patch.needs_human !== undefined) found.summary.needs_human = patch.needs_human;
      if (patch.assignee !== undefined) found.summary.assignee = patch.assignee;
      notifier.emit({ type: 'conversation.updated', project, conversation_id: conversationId, owner: found.summary.owner });
      return { ...found.summary };
    },
    async listConversations(query) {
      const resolved = resolveListQuery(query);
      const allowed = new Set(resolved.projects);
      const items = [];
      for (const thread of threads.values()) {
        const { summary } = thread;
        if (!allowed.has(summary.project)) continue;
        if (resolved.status !== null && summary.status !== resolved.status) continue;
        const who = identities.get(keyOf(summary.project, summary.owner));
        const verified = Boolean(who?.claims);
        if (resolved.verified !== null && verified !== resolved.verified) continue;
        const { name, email } = whoFrom(who?.claims ?? null, traitValues(readStoredTraits(who?.traits)));
        if (resolved.q !== null && ![summary.owner, name, email].some((field) => field?.toLowerCase().includes(resolved.q!))) continue;
        // Keyset: after the cursor in (last_message_at desc, id desc) order.
        const at = resolved.after;
        if (at && (summary.last_message_at > at.at || (summary.last_message_at === at.at && summary.id >= at.id))) continue;
        const userId = summary.owner.startsWith('user:') ? summary.owner.slice(5) : null;
        const last = thread.messages.at(-1);
        items.push({
          ...summary,
          user: { owner: summary.owner, user_id: userId, name, email, verified },
          last_author: last?.author ?? null,
          last_text: last ? previewOf(last.text) : null,
        });
      }
      items.sort((a, b) =>
        a.last_message_at === b.last_message_at ? (a.id > b.id ? -1 : 1) : a.last_message_at > b.last_message_at ? -1 : 1,
      );
      const page = items.slice(0, resolved.limit);
      return { conversations: page, next: items.length > resolved.limit ? cursorOf(page.at(-1)!) : null };
    },
    async getUserPanel(project, owner) {
      const who = identities.get(keyOf(project, owner));
      if (!who) return null;
      const record = readStoredTraits(who.traits);
      const client_traits = Object.fromEntries(
        Object.entries(record).map(([name, t]) => [name, { value: clone(t.value), verified: t.verified }]),
      );
      return {
        project,
        owner,
        verified_claims: who.claims ? clone(who.claims) : null,
        verified_claims_at: who.claimsAt,
        client_traits,
        first_seen: who.firstSeen,
        last_seen: who.lastSeen,
      };
    },
  };
}
