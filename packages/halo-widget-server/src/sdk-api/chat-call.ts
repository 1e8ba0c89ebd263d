import type { Identity } from '../identity/check-identity.js';
import { conversationFor, traitsFor } from './conversation-access.js';
import { ApiError } from '../http/http.js';
import { isThenable } from '../util/is-thenable.js';
import { clientMessageIdOf, messageOf, optionalString, traitsOf, type Body } from '../http/parse-request.js';
import { defaultRespond, type Respond } from './respond.js';
import { newId, type ComposedExchange, type ConversationStore, type StoredConversation, type StoredMessage } from '../store/store.js';
import { traitViews, type TraitLimits } from '../identity/traits.js';

interface Exchange {
  conversation: StoredConversation;
  reply: StoredMessage;
}

let isoMs = Number.NaN;
let isoText = '';
/** `new Date().toISOString()`, formatted once per millisecond: answers in the same millisecond share it. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

// Another identity's conversation looks exactly like a missing one (history-isolation).
const missing = () => new ApiError(404, 'not_found', 'No such conversation.');

/** The in-flight key of one retried message: no two (project, owner, conversation, id) tuples share one. */
function inflightKey(who: Identity, requested: string | undefined, clientMessageId: string): string {
  // Every part but the last is length-prefixed, so no two tuples share a key, without the
  // cost of serialising an array.
  const space = requested ?? '';
  return `${who.project.widgetKey.length}:${who.project.widgetKey}${who.owner.length}:${who.owner}${requested === undefined ? '-' : `${space.length}:${space}`}${clientMessageId}`;
}

/**
 * The `chat` call: stores the user's message and `respond`'s reply together, at most once
 * per `client_message_id` (a retry gets the reply on record; concurrent retries share one
 * exchange), and answers `{ conversation_id, message, identity }`.
 */
export function createChatCall(
  store: ConversationStore,
  respond: Respond,
  limits: Required<TraitLimits>,
): (who: Identity, body: Body) => Promise<unknown> {
  // Concurrent retries of one client_message_id wait for the first instead of answering twice.
  const inflight = new Map<string, Promise<Exchange>>();

  return async function chat(who, body) {
    const message = messageOf(body);
    const clientMessageId = clientMessageIdOf(body);
    const requested = optionalString(body, 'conversation_id');
    const sent = traitsOf(body, limits);
    // Each step's plain result is used at once (isThenable), so an exchange with a synchronous
    // store and respond costs no microtask turn per step.
    // The message and reply to store, composed from the identity's stored traits.
    const compose = async (conversation: StoredConversation, storedTraits?: Record<string, unknown>): Promise<ComposedExchange> => {
      const record = await traitsFor(store, who, sent, limits, storedTraits);
      // The default respond never reads the history, so it is not copied out of the store for it.
      const listed = respond === defaultRespond ? [] : store.listMessages(conversation.id);
      const history = isThenable(listed) ? await listed : listed;
      const user =
        who.userId === null
          ? null
          : { user_id: who.userId, verified: who.verified, ...traitViews(record, who.verified, who.trusted).respond };
      const replied = respond({ message, user, history });
      const text = String(isThenable(replied) ? await replied : replied);
      const now = isoNow();
      const question: StoredMessage = { id: newId('msg'), conversation_id: conversation.id, role: 'user', text: message, created_at: now };
      const answer: StoredMessage = { id: newId('msg'), conversation_id: conversation.id, role: 'assistant', text, created_at: now };
      // Monitor mode (and verification off) let a request speak for a user unverified: what it
      // stored says so, for good (a later switch to enforce does not launder it).
      if (!who.verified && who.userId !== null) question.unverified = answer.unverified = true;
      return { message: question, reply: answer };
    };
    const exchange = async (): Promise<Exchange> => {
      const key = who.project.widgetKey;
      if (store.chatExchange) {
        // A database reads (ownership checked in SQL) and writes in as few round trips as it can.
        const done = await store.chatExchange(key, who.owner, requested ?? null, clientMessageId, (opening) =>
          compose(opening.conversation, opening.traits),
        );
        if (!done) throw missing();
        return done;
      }
      let conversation: StoredConversation;
      let storedTraits: Record<string, unknown> | undefined;
      if (store.openChat) {
        // The conversation, the earlier reply and the traits from one call.
        const opening = store.openChat(key, who.owner, requested ?? null, clientMessageId);
        const opened = isThenable(opening) ? await opening : opening;
        if (!opened) throw missing();
        if (opened.earlier) return { conversation: opened.conversation, reply: opened.earlier };
        conversation = opened.conversation;
        storedTraits = opened.traits;
      } else {
        conversation = (await conversationFor(store, who, requested, true))!;
        if (clientMessageId) {
          const found = store.findReply(conversation.id, clientMessageId);
          const earlier = isThenable(found) ? await found : found;
          if (earlier) return { conversation, reply: earlier };
        }
      }
      const composed = await compose(conversation, storedTraits);
      const stored = store.appendExchange(conversation.id, composed.message, composed.reply, clientMessageId);
      return { conversation, reply: isThenable(stored) ? await stored : stored };
    };
    let result: Exchange;
    if (clientMessageId) {
      const key = inflightKey(who, requested, clientMessageId);
      let running = inflight.get(key);
      if (!running) {
        running = exchange().finally(() => inflight.delete(key));
        inflight.set(key, running);
      }
      result = await running;
    } else {
      result = await exchange();
    }
    return { conversation_id: result.conversation.id, message: result.reply, identity: { verified: who.verified, mode: who.mode } };
  };
}
