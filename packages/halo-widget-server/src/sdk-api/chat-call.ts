import type { Identity } from '../identity/check-identity.js';
import { claimsFor, noSuchConversation, traitsFor } from './conversation-access.js';
import { ApiError } from '../http/http.js';
import { isThenable } from '../util/is-thenable.js';
import { clientMessageIdOf, messageOf, optionalString, traitsOf, type Body } from '../http/parse-request.js';
import { defaultRespond, type Respond } from './respond.js';
import { respondWindow } from './respond-window.js';
import { isConversationFull } from '../store/conversation-full-error.js';
import {
  newId,
  type ChatOpening,
  type ChatResult,
  type ComposedExchange,
  type ComposedMessage,
  type ConversationStore,
} from '../store/store.js';
import { traitViews, type TraitLimits } from '../identity/traits.js';
import type { AiReplies } from '../ai/ai-replies.js';
import type { PromptIdentity } from '../ai/build-prompt.js';

/**
 * Who the model may be told about, from this request alone (only-verified-data): claims only
 * when this request's token verified; an unverified user id is not even named.
 */
function promptIdentityOf(who: Identity, clientTraits: Record<string, unknown>): PromptIdentity {
  if (who.userId === null) return { kind: 'anonymous' };
  if (!who.verified) return { kind: 'unverified', userId: who.userId };
  return { kind: 'verified', userId: who.userId, claims: who.trusted, clientTraits };
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

/** The in-flight key of one retried message: no two (project, owner, conversation, id) tuples share one. */
function inflightKey(who: Identity, requested: string | undefined, clientMessageId: string): string {
  // Every part but the last is length-prefixed, so no two tuples share a key, without the
  // cost of serialising an array.
  const space = requested ?? '';
  return `${who.project.widgetKey.length}:${who.project.widgetKey}${who.owner.length}:${who.owner}${requested === undefined ? '-' : `${space.length}:${space}`}${clientMessageId}`;
}

/**
 * The `chat` call: stores the user's message and `respond`'s reply together through the
 * store's one chat path (`chatExchange`), at most once per `client_message_id` (a retry gets
 * the reply on record; concurrent retries share one exchange, so `respond` runs once), and
 * answers `{ conversation_id, message, identity }`. A full conversation is `409 conversation_full`.
 */
export function createChatCall(
  store: ConversationStore,
  respond: Respond,
  limits: Required<TraitLimits>,
  ai?: AiReplies,
): (who: Identity, body: Body) => Promise<unknown> {
  // Concurrent retries of one client_message_id wait for the first instead of answering twice.
  const inflight = new Map<string, Promise<ChatResult>>();

  return async function chat(who, body) {
    const message = messageOf(body);
    const clientMessageId = clientMessageIdOf(body);
    const requested = optionalString(body, 'conversation_id');
    const sent = traitsOf(body, limits);
    const project = who.project.widgetKey;
    const byModel = ai?.has(project) ?? false;
    // compose() adds the client traits; a retry answered from the record is not composed.
    let identity: PromptIdentity = promptIdentityOf(who, {});
    // The message and reply to store, composed from what the store read of the identity.
    const compose = async (opening: ChatOpening): Promise<ComposedExchange> => {
      const record = await traitsFor(store, who, sent, limits, opening.traits);
      await claimsFor(store, who, opening.claims);
      if (byModel) {
        // The model answers later, over the live channel: the user's message is stored alone.
        identity = promptIdentityOf(who, traitViews(record, who.verified, who.trusted).respond.clientTraits);
        const question: ComposedMessage = { id: newId('msg'), text: message, created_at: isoNow() };
        if (!who.verified && who.userId !== null) question.unverified = true;
        return { message: question, reply: null };
      }
      // The default respond never reads the history, so it is not read for it.
      const history = respond === defaultRespond ? [] : await respondWindow(store, project, opening.conversation.id);
      const user =
        who.userId === null
          ? null
          : { user_id: who.userId, verified: who.verified, ...traitViews(record, who.verified, who.trusted).respond };
      const replied = respond({ message, user, history });
      const text = String(isThenable(replied) ? await replied : replied);
      const now = isoNow();
      const question: ComposedMessage = { id: newId('msg'), text: message, created_at: now };
      const answer: ComposedMessage = { id: newId('msg'), text, created_at: now };
      // Monitor mode (and verification off) let a request speak for a user unverified: what it
      // stored says so, for good (a later switch to enforce does not launder it).
      if (!who.verified && who.userId !== null) question.unverified = answer.unverified = true;
      return { message: question, reply: answer };
    };
    const exchange = async (): Promise<ChatResult> => {
      let done: ChatResult | null;
      try {
        done = await store.chatExchange(project, who.owner, requested ?? null, clientMessageId, compose);
      } catch (error) {
        if (isConversationFull(error)) throw new ApiError(409, 'conversation_full', error.message);
        throw error;
      }
      if (!done) throw noSuchConversation();
      return done;
    };
    let result: ChatResult;
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
    // A retry starts it again too: the responder skips a conversation already answered.
    if (byModel && result.reply.author === 'user') ai!.start(project, who.owner, result.conversation.id, identity);
    return { conversation_id: result.conversation.id, message: result.reply, identity: { verified: who.verified, mode: who.mode } };
  };
}
