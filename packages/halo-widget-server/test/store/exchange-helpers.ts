// Helpers for store tests: one chat exchange through the store's one chat path, and a
// conversation's texts through its page reads.
import type { ChatResult, ConversationStore } from '../../src/index.js';

let made = 0;

/** Stores `question` and `answer` as one exchange (composed at once), as the chat call would. */
export async function chatOnce(
  store: ConversationStore,
  project: string,
  owner: string,
  conversationId: string | null,
  clientMessageId: string | null,
  question: string,
  answer: string,
  options: { unverified?: true } = {},
): Promise<ChatResult | null> {
  return store.chatExchange(project, owner, conversationId, clientMessageId, async () => {
    const at = new Date().toISOString();
    made += 1;
    return {
      message: { id: `msg_q${made}`, text: question, created_at: at, ...options },
      reply: { id: `msg_a${made}`, text: answer, created_at: at, ...options },
    };
  });
}

/** Every message text of a conversation, oldest first (pages of 200 read back to the start). */
export async function texts(store: ConversationStore, project: string, conversationId: string): Promise<string[]> {
  const out: string[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await store.readMessages(project, conversationId, before === undefined ? { limit: 200 } : { before, limit: 200 });
    if (!page) return out;
    out.unshift(...page.messages.map((m) => m.text));
    if (!page.has_more || page.messages.length === 0) return out;
    before = page.messages[0]!.seq;
  }
}
