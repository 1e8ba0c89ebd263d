import type { Identity } from '../identity/check-identity.js';
import { conversationFor } from './conversation-access.js';
import { optionalString, type Body } from '../http/parse-request.js';
import type { ConversationStore } from '../store/store.js';

/** The `history` call: the identity's conversation (the requested one, else the latest) and its messages. */
export async function historyCall(store: ConversationStore, who: Identity, body: Body): Promise<unknown> {
  const conversation = await conversationFor(store, who, optionalString(body, 'conversation_id'), false);
  return { conversation_id: conversation?.id ?? null, messages: conversation ? await store.listMessages(conversation.id) : [] };
}
