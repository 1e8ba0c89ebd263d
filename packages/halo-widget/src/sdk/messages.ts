import { DEV } from '../dev.js';
import { cancelled, isHaloError, serverError, type HaloError } from '../errors.js';
import type { ChatMessage, PendingMessage, UserTraits } from '../types.js';
import { postChat } from './conversation.js';
import { isTransient, messageDelay } from './delivery.js';
import type { CallSettings } from './identity-call.js';
import { createOutbox, type Delivery, type Outbox } from './outbox.js';
import type { Session } from './session.js';

/** One message on its way, bound to the session (user) that sent it. */
export interface Outgoing {
  text: string;
  clientMessageId: string;
  session: Session;
  resolve(reply: ChatMessage): void;
  reject(error: HaloError): void;
}

/** What the client's messages need from it. */
export interface MessagesHost {
  calls: CallSettings;
  /** The current user session. */
  session(): Session;
  traits(): UserTraits;
  now(): number;
  /** The user's message once stored, then the reply. */
  message(message: ChatMessage): void;
  pending(list: readonly PendingMessage[]): void;
  /** onError, once per error object. */
  report(error: HaloError): void;
  /** Reports and returns any failure as a HaloError. */
  fail(error: unknown): HaloError;
  /** getUserToken once more, while expired (nothing-lost). */
  retryToken(): void;
}

/**
 * The client's outbox, wired to the chat call (delivered-exactly-once): each attempt at a
 * message is stored → resolved; identity expired → held (nothing-lost); a transient failure
 * → tried again after a backoff, the first failure of a run reported (once per episode);
 * anything else → rejected, and nothing was stored.
 */
export function createMessages(host: MessagesHost): Outbox<Outgoing> {
  /** Failures in a row: the first of a run reaches onError. */
  let failures = 0;

  const chat = async ({ text, clientMessageId, session }: Outgoing): Promise<ChatMessage> => {
    const reply = await postChat(host.calls, session, text, clientMessageId, host.traits());
    const created_at = new Date().toISOString();
    host.message({ id: clientMessageId, conversation_id: session.conversationId!, role: 'user', text, created_at });
    // The server's own record of the user's message (an AI answers later, over the live channel): announced above already.
    if (reply.role !== 'user') host.message(reply);
    return reply;
  };

  const deliver = async (item: Outgoing): Promise<Delivery> => {
    const { signal } = item.session;
    try {
      if (signal.aborted) throw signal.reason;
      const reply = await chat(item);
      failures = 0;
      item.resolve(reply);
      return 'settled';
    } catch (error) {
      const haloError = isHaloError(error) ? error : serverError(DEV && 'Unexpected error in the Halo SDK.', { cause: error });
      if (!signal.aborted && haloError.code === 'identity_expired') {
        // The episode's one error object: onError hears it once, however many messages it holds.
        host.report(haloError);
        return 'parked';
      }
      if (!signal.aborted && isTransient(haloError)) {
        if (failures++ === 0) host.report(haloError);
        return { retryInMs: messageDelay(haloError, failures) };
      }
      item.reject(host.fail(haloError));
      return 'settled';
    }
  };

  return createOutbox<Outgoing>({
    deliver,
    cancelled: (item, sent) => item.reject(cancelled(sent ? 'maybe_stored' : 'not_sent')),
    expiredSince: () => host.session().tokens.expiredAt,
    refreshable: () => !!host.session().refresher,
    retryToken: () => host.retryToken(),
    now: () => host.now(),
    changed: (list) => host.pending(list),
  });
}
