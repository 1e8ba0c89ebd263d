import type { ConversationStore, StoredMessage } from '../store/store.js';

/** What `respond()` is given of a conversation: its last messages, bounded (docs/decisions/0813). */
export const RESPOND_WINDOW = { messages: 20, bytes: 16_384 } as const;

/**
 * The newest messages of a conversation for `respond()`: at most 20 and 16 KB of text, the
 * oldest dropped first (the newest always stays, even alone over 16 KB). A long
 * conversation costs `respond()` no more than a short one.
 */
export async function respondWindow(store: ConversationStore, project: string, conversationId: string): Promise<StoredMessage[]> {
  const page = await store.readMessages(project, conversationId, { limit: RESPOND_WINDOW.messages });
  const messages = page?.messages ?? [];
  let bytes = 0;
  let start = messages.length;
  while (start > 0) {
    bytes += Buffer.byteLength(messages[start - 1]!.text);
    if (bytes > RESPOND_WINDOW.bytes && start < messages.length) break;
    start -= 1;
  }
  return messages.slice(start);
}
