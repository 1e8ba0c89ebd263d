import { DEV } from '../dev.js';
import { serverError } from '../errors.js';
import type { ChatMessage, HistoryOptions, HistoryPage, UserTraits } from '../types.js';
import { callWithIdentity, type CallSettings } from './identity-call.js';
import type { Session } from './session.js';

// The two conversation calls of the wire protocol: what their bodies hold and how their
// answers are checked. The session keeps the conversation id the server chose.

function isChatMessage(value: unknown): value is ChatMessage {
  const m = value as ChatMessage | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.id === 'string' &&
    typeof m.text === 'string' &&
    (m.role === 'user' || m.role === 'assistant') &&
    typeof m.conversation_id === 'string'
  );
}

/** Posts one message under its client_message_id; resolves with the assistant's reply. */
export async function postChat(
  settings: CallSettings,
  session: Session,
  text: string,
  clientMessageId: string,
  traits: UserTraits,
): Promise<ChatMessage> {
  const body: Record<string, unknown> = { message: text, client_message_id: clientMessageId, user_traits: traits };
  if (session.conversationId) body.conversation_id = session.conversationId;
  const { message: reply, conversation_id: conversationId } = await callWithIdentity(settings, session, 'chat', body);
  if (!isChatMessage(reply) || typeof conversationId !== 'string') throw serverError(DEV && 'Malformed chat answer.');
  session.conversationId = conversationId;
  return reply;
}

/**
 * A page of the session's conversation (the visitor's or the user's). `before` and `limit`
 * go to the server as given: it answers 400 `invalid_request` to anything but positive integers.
 */
export async function fetchHistory(settings: CallSettings, session: Session, { before, limit }: HistoryOptions = {}): Promise<HistoryPage> {
  // Picked, not spread: nothing else in the caller's object may reach the body (its identity).
  const body: Record<string, unknown> = { before, limit };
  if (session.conversationId) body.conversation_id = session.conversationId;
  const data = await callWithIdentity(settings, session, 'history', body);
  const { messages, conversation_id: conversationId } = data;
  if (!Array.isArray(messages) || !messages.every(isChatMessage)) throw serverError(DEV && 'Malformed history answer.');
  if (!session.conversationId && typeof conversationId === 'string') session.conversationId = conversationId;
  // The array stays what history() always returned, equal to a plain one in an app's tests
  // and JSON (so not enumerable); a server from before pages means "no more".
  return Object.defineProperty(messages, 'hasMore', { value: !!data.has_more }) as HistoryPage;
}
