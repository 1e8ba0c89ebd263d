// A test double of the SupportStore contract (packages/halo-widget-server/src/store/conversation-model.ts),
// in memory, for the live channel's tests until the real stores implement it: conversations
// are opened with `open()`; `appendMessage` stores and then announces, as the contract says.
// Replace `createSupportStoreDouble()` with a real store in the tests that take one.
import { randomUUID } from 'node:crypto';
import type {
  Author,
  ConversationMessage,
  ConversationSummary,
  StoreEvent,
  SupportStore,
} from '../../packages/halo-widget-server/src/store/conversation-model.js';

export interface SupportStoreDouble extends SupportStore {
  /** Opens a conversation of `owner` in `project`; returns its id. */
  open(project: string, owner: string): string;
  /** Appends a message of any author (the user's, as the chat call would). */
  write(
    project: string,
    conversationId: string,
    author: Author,
    text: string,
    agent?: { id: string; name: string },
  ): Promise<ConversationMessage>;
  /** Announcements are delivered only while this is true (to test a lost notification). */
  announcing: boolean;
}

export function createSupportStoreDouble(): SupportStoreDouble {
  const listeners = new Set<(event: StoreEvent) => void>();
  const conversations = new Map<string, { summary: ConversationSummary; messages: ConversationMessage[] }>();
  const store: SupportStoreDouble = {
    announcing: true,
    notifier: {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    open(project, owner) {
      const id = `c_${randomUUID()}`;
      const now = new Date().toISOString();
      conversations.set(id, {
        summary: {
          id,
          project,
          owner,
          status: 'open',
          needs_human: false,
          assignee: null,
          last_seq: 0,
          last_message_at: now,
          created_at: now,
        },
        messages: [],
      });
      return id;
    },
    async write(project, conversationId, author, text, agent) {
      const conversation = conversations.get(conversationId);
      if (conversation?.summary.project !== project) throw new Error('no such conversation');
      const seq = conversation.messages.length + 1;
      const message: ConversationMessage = {
        id: `m_${randomUUID()}`,
        conversation_id: conversationId,
        seq,
        author,
        text,
        created_at: new Date().toISOString(),
      };
      if (agent) message.agent = agent;
      conversation.messages.push(message);
      conversation.summary.last_seq = seq;
      const { owner } = conversation.summary;
      const event: StoreEvent = {
        type: 'message.created',
        project,
        conversation_id: conversationId,
        owner,
        seq,
        message_id: message.id,
        author,
      };
      // After "commit", on a later turn, as a database notification would arrive.
      if (store.announcing) setImmediate(() => listeners.forEach((listener) => listener(event)));
      return message;
    },
    async readMessages(project, conversationId, range) {
      const conversation = conversations.get(conversationId);
      if (conversation?.summary.project !== project) return null;
      const after = range.after ?? 0;
      const found = conversation.messages.filter((m) => m.seq > after).slice(0, range.limit);
      return { messages: found.map((m) => ({ ...m })), has_more: after > 0 };
    },
    async appendMessage(project, conversationId, message) {
      const conversation = conversations.get(conversationId);
      if (conversation?.summary.project !== project) return null;
      return store.write(project, conversationId, message.author, message.text, message.agent);
    },
    async getSummary(project, conversationId) {
      const conversation = conversations.get(conversationId);
      return conversation?.summary.project === project ? { ...conversation.summary } : null;
    },
    async updateConversation(project, conversationId, patch) {
      const conversation = conversations.get(conversationId);
      if (conversation?.summary.project !== project) return null;
      Object.assign(conversation.summary, patch);
      return { ...conversation.summary };
    },
  };
  return store;
}
