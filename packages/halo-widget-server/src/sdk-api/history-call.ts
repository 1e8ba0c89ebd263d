import type { Identity } from '../identity/check-identity.js';
import { conversationFor } from './conversation-access.js';
import { bad, optionalString, type Body } from '../http/parse-request.js';
import type { ConversationStore } from '../store/store.js';

/** `limit` of a `history` page when the request names none, and the most it may name (history-pages). */
export const HISTORY_PAGE = { default: 50, max: 200 } as const;

/** An optional positive integer field of the body, at most `max`. */
function optionalCount(body: Body, field: string, max: number): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw bad(`\`${field}\` must be an integer from 1 to ${max}.`);
  }
  return value;
}

/**
 * The `history` call: one page of the identity's conversation (the requested one, else the
 * latest), newest last — the `limit` messages before the seq `before`, or the newest —
 * and whether older ones exist (history-pages). A conversation is never read whole.
 */
export async function historyCall(store: ConversationStore, who: Identity, body: Body): Promise<unknown> {
  const before = optionalCount(body, 'before', Number.MAX_SAFE_INTEGER);
  const limit = optionalCount(body, 'limit', HISTORY_PAGE.max) ?? HISTORY_PAGE.default;
  const conversation = await conversationFor(store, who, optionalString(body, 'conversation_id'));
  if (!conversation) return { conversation_id: null, messages: [], has_more: false };
  const page = await store.readMessages(who.project.widgetKey, conversation.id, before === undefined ? { limit } : { before, limit });
  return { conversation_id: conversation.id, messages: page?.messages ?? [], has_more: page?.has_more ?? false };
}
