import type { ConversationMessage } from '../../src/ai/build-prompt.js';
import { stopsAi, type AiReply, type NeedsHumanReason, type ResponderPorts } from '../../src/ai/responder.js';

/** One conversation of the in-memory store. */
export interface MemoryConversation {
  messages: ConversationMessage[];
  needsHuman: { reason: NeedsHumanReason; detail: string | undefined } | null;
  agentReplied: boolean;
  /** Stored AI replies by id. */
  replies: Map<string, AiReply>;
}

/** An in-memory stand-in for the store and the live channel, recording every port call. */
export function memoryPorts() {
  const conversations = new Map<string, MemoryConversation>();
  const deltas: Array<{ conversationId: string; id: string; text: string }> = [];
  const calls: Array<{ port: keyof ResponderPorts; conversationId: string; at: number }> = [];
  const get = (conversationId: string): MemoryConversation => {
    let found = conversations.get(conversationId);
    if (!found) conversations.set(conversationId, (found = { messages: [], needsHuman: null, agentReplied: false, replies: new Map() }));
    return found;
  };
  const ports: ResponderPorts = {
    async loadWindow(conversationId) {
      calls.push({ port: 'loadWindow', conversationId, at: Date.now() });
      return get(conversationId).messages.map((m) => ({ ...m }));
    },
    async storeReply(conversationId, reply) {
      calls.push({ port: 'storeReply', conversationId, at: Date.now() });
      const conversation = get(conversationId);
      if (conversation.replies.has(reply.id)) return;
      conversation.replies.set(reply.id, reply);
      conversation.messages.push({ id: reply.id, author: 'assistant', text: reply.text, inReplyTo: reply.inReplyTo });
    },
    emitDelta(conversationId, delta) {
      deltas.push({ conversationId, ...delta });
    },
    async markNeedsHuman(conversationId, reason, detail) {
      calls.push({ port: 'markNeedsHuman', conversationId, at: Date.now() });
      get(conversationId).needsHuman = { reason, detail };
    },
    async isHandedOff(conversationId) {
      calls.push({ port: 'isHandedOff', conversationId, at: Date.now() });
      const conversation = get(conversationId);
      return conversation.agentReplied || (conversation.needsHuman !== null && stopsAi(conversation.needsHuman.reason));
    },
  };
  let ids = 0;
  return {
    ports,
    conversations,
    deltas,
    calls,
    conversation: get,
    userSays(conversationId: string, text: string) {
      get(conversationId).messages.push({ id: `m${++ids}`, author: 'user', text });
    },
    agentSays(conversationId: string, text: string) {
      const conversation = get(conversationId);
      conversation.messages.push({ id: `m${++ids}`, author: 'agent', text });
      conversation.agentReplied = true;
    },
  };
}
