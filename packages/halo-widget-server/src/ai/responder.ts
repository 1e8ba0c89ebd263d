import { randomUUID } from 'node:crypto';
import type { ResolvedAiConfig } from './ai-config.js';
import { isAiError } from './ai-error.js';
import { asksForHuman } from './asks-for-human.js';
import { buildPrompt, orderReplies, type ConversationMessage, type PromptIdentity } from './build-prompt.js';
import type { ModelClient, ModelUsage } from './model-client.js';

/**
 * Why a conversation needs a person. `user_asked` and `model_handoff` hand it over: the AI
 * answers it no more ({@link stopsAi}). `ai_failed` asks a person to look while the AI keeps
 * trying later messages (the model may be back by then).
 */
export type NeedsHumanReason = 'user_asked' | 'model_handoff' | 'ai_failed';

/** Whether a conversation marked for `reason` is handed over, so that `isHandedOff` must answer true for it. */
export function stopsAi(reason: NeedsHumanReason): boolean {
  return reason === 'user_asked' || reason === 'model_handoff';
}

/** What a stored AI message is: the model's reply, the "a person will reply" notice, or the fallback after a failure. */
export type AiReplyKind = 'reply' | 'handoff' | 'fallback';

/** One message for the store. */
export interface AiReply {
  /** The id the deltas carried: the stored message replaces the growing text on screen. */
  id: string;
  text: string;
  kind: AiReplyKind;
  /**
   * The id of the newest user message this reply answers (null when the store gave none). The store
   * keeps it and returns it with the message from `loadWindow`: it is how a later reply knows what is
   * answered, and where this reply belongs in the prompt ({@link orderReplies}).
   */
  inReplyTo: string | null;
  /** What the model reported; null when no model answer came (a fallback, a handoff asked in plain words). */
  usage: ModelUsage | null;
}

/** The responder's ways into the store and the live channel, provided by the server. */
export interface ResponderPorts {
  /**
   * The conversation's messages, oldest first, with their `id`s and each AI reply's `inReplyTo`;
   * the newest ones are enough (the prompt keeps `historyWindow`).
   */
  loadWindow(conversationId: string): Promise<ConversationMessage[]>;
  /**
   * Stores a reply and emits it as one `message`. Idempotent by `reply.id`: a second call
   * with the same id changes nothing (the responder makes one per id, but a retried wiring may not).
   */
  storeReply(conversationId: string, reply: AiReply): Promise<void>;
  /** Emits `messageDelta` (`{ id, text }`, the text so far) on the live channel. Best effort: not awaited. */
  emitDelta(conversationId: string, delta: { id: string; text: string }): void;
  /** Sets `needs_human: true`. `detail` is an error code or the model's reason (at most 200 characters), for the inbox. */
  markNeedsHuman(conversationId: string, reason: NeedsHumanReason, detail?: string): Promise<void>;
  /** True once an agent has replied, or the conversation was marked for a reason that {@link stopsAi}. */
  isHandedOff(conversationId: string): Promise<boolean>;
}

/** The request to answer a conversation's newest user message. */
export interface ReplyRequest {
  conversationId: string;
  /** Who sent that message, as verified for this request (not as stored earlier). */
  identity: PromptIdentity;
}

/** How a reply ended. */
export type ReplyOutcome =
  | { status: 'replied'; replyId: string; usage: ModelUsage | null }
  | { status: 'handed_off'; replyId: string; reason: 'user_asked' | 'model_handoff' }
  | { status: 'fallback'; replyId: string; error: string }
  | { status: 'skipped'; reason: 'handed_off' | 'nothing_to_answer' | 'closed' }
  | { status: 'failed'; reason: 'store_error' };

/** Where the responder reports failures. Lines never hold the key (model errors are scrubbed of it). */
export interface ResponderLogger {
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** Options of {@link createResponder}. */
export interface ResponderOptions {
  config: ResolvedAiConfig;
  model: Pick<ModelClient, 'streamReply'>;
  ports: ResponderPorts;
  /** @default crypto.randomUUID */
  newId?: () => string;
  /** @default console */
  logger?: ResponderLogger;
  /**
   * The least time between two `messageDelta`s of one reply; chunks between are folded into the next.
   * @default 50
   */
  deltaIntervalMs?: number;
  /** @default "I've asked a person from our team to take over. They'll reply here." */
  handoffText?: string;
  /** @default "Sorry, I can't answer right now. A person from our team will reply here." */
  fallbackText?: string;
  /** @default Date.now */
  now?: () => number;
}

/** Answers conversations with the model, one reply in flight per conversation. */
export interface Responder {
  /**
   * Queues a reply to the conversation's newest user message and resolves when it is stored.
   * Never rejects. The `chat` call does not wait for it. While a reply streams, later requests
   * for the conversation are answered after it, together (one call for all that came meanwhile).
   */
  reply(request: ReplyRequest): Promise<ReplyOutcome>;
  /** Resolves when no reply is in flight or queued. */
  idle(): Promise<void>;
  /**
   * Cancels replies in flight (their conversations get the fallback and `needs_human`) and skips
   * new ones. Call it before the store closes.
   */
  close(): Promise<void>;
}

interface Waiting {
  request: ReplyRequest;
  resolvers: Array<(outcome: ReplyOutcome) => void>;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A {@link Responder}. */
export function createResponder(options: ResponderOptions): Responder {
  const { config, model, ports } = options;
  const newId = options.newId ?? randomUUID;
  const logger = options.logger ?? console;
  const now = options.now ?? Date.now;
  const deltaIntervalMs = options.deltaIntervalMs ?? 50;
  const handoffText = options.handoffText ?? "I've asked a person from our team to take over. They'll reply here.";
  const fallbackText = options.fallbackText ?? "Sorry, I can't answer right now. A person from our team will reply here.";
  /** Per conversation: the requests that came while a reply was in flight (folded into one). */
  const lanes = new Map<string, { waiting: Waiting | null }>();
  const running = new Set<Promise<void>>();
  const shutdown = new AbortController();

  /** Marks the conversation; a failure to mark is logged, since the reply itself must still be stored. */
  async function mark(conversationId: string, reason: NeedsHumanReason, detail?: string): Promise<void> {
    try {
      await ports.markNeedsHuman(conversationId, reason, detail?.slice(0, 200));
    } catch (error) {
      logger.error(`[halo] ai: could not mark conversation ${conversationId} needs_human (${reason}):`, message(error));
    }
  }

  async function store(conversationId: string, reply: AiReply): Promise<boolean> {
    try {
      await ports.storeReply(conversationId, reply);
      return true;
    } catch (error) {
      logger.error(`[halo] ai: could not store the ${reply.kind} ${reply.id} in conversation ${conversationId}:`, message(error));
      return false;
    }
  }

  async function answer({ conversationId, identity }: ReplyRequest): Promise<ReplyOutcome> {
    if (shutdown.signal.aborted) return { status: 'skipped', reason: 'closed' };
    let conversation: ConversationMessage[];
    try {
      if (await ports.isHandedOff(conversationId)) return { status: 'skipped', reason: 'handed_off' };
      conversation = await ports.loadWindow(conversationId);
    } catch (error) {
      logger.error(`[halo] ai: could not read conversation ${conversationId}; it is left to a person:`, message(error));
      await mark(conversationId, 'ai_failed', 'store_error');
      return { status: 'failed', reason: 'store_error' };
    }
    conversation = orderReplies(conversation);
    const last = conversation[conversation.length - 1];
    // Already answered, e.g. by the reply before this one, which read the same new messages.
    if (!last || last.author !== 'user') return { status: 'skipped', reason: 'nothing_to_answer' };
    const id = newId();
    const inReplyTo = last.id ?? null;

    if (asksForHuman(last.text)) {
      await mark(conversationId, 'user_asked');
      const stored = await store(conversationId, { id, text: handoffText, kind: 'handoff', inReplyTo, usage: null });
      return stored ? { status: 'handed_off', replyId: id, reason: 'user_asked' } : { status: 'failed', reason: 'store_error' };
    }

    const messages = buildPrompt({
      instructions: config.instructions,
      conversation,
      identity,
      includeClientTraits: config.includeClientTraits,
      historyWindow: config.historyWindow,
      historyChars: config.historyChars,
    });
    let lastDelta = -Infinity;
    const onDelta = (text: string): void => {
      if (now() - lastDelta < deltaIntervalMs) return;
      lastDelta = now();
      try {
        ports.emitDelta(conversationId, { id, text });
      } catch (error) {
        // The live channel is best effort: the stored message reaches the widget either way.
        logger.warn(`[halo] ai: could not emit a delta of ${id}:`, message(error));
      }
    };

    try {
      const reply = await model.streamReply({ messages, onDelta, signal: shutdown.signal });
      if (reply.handoff) {
        await mark(conversationId, 'model_handoff', reply.handoff.reason);
        const stored = await store(conversationId, { id, text: handoffText, kind: 'handoff', inReplyTo, usage: reply.usage });
        return stored ? { status: 'handed_off', replyId: id, reason: 'model_handoff' } : { status: 'failed', reason: 'store_error' };
      }
      if (!(await store(conversationId, { id, text: reply.text, kind: 'reply', inReplyTo, usage: reply.usage }))) {
        await mark(conversationId, 'ai_failed', 'store_error');
        return { status: 'failed', reason: 'store_error' };
      }
      return { status: 'replied', replyId: id, usage: reply.usage };
    } catch (error) {
      const code = isAiError(error) ? error.code : 'model_error';
      logger.warn(`[halo] ai: no reply for conversation ${conversationId} (${code}); a person is asked to answer:`, message(error));
      await mark(conversationId, 'ai_failed', code);
      // Under the same id as the deltas: a stream cut halfway is replaced on screen, and stored once.
      const stored = await store(conversationId, { id, text: fallbackText, kind: 'fallback', inReplyTo, usage: null });
      return stored ? { status: 'fallback', replyId: id, error: code } : { status: 'failed', reason: 'store_error' };
    }
  }

  async function drain(conversationId: string, lane: { waiting: Waiting | null }, first: Waiting): Promise<void> {
    let current: Waiting | null = first;
    while (current) {
      let outcome: ReplyOutcome;
      try {
        outcome = await answer(current.request);
      } catch (error) {
        // answer() handles every port and model failure; this is a bug, kept from stopping the lane.
        logger.error(`[halo] ai: reply for conversation ${conversationId} failed unexpectedly:`, message(error));
        outcome = { status: 'failed', reason: 'store_error' };
      }
      for (const resolve of current.resolvers) resolve(outcome);
      current = lane.waiting;
      lane.waiting = null;
    }
    lanes.delete(conversationId);
  }

  return {
    reply(request) {
      return new Promise<ReplyOutcome>((resolve) => {
        const lane = lanes.get(request.conversationId);
        if (lane) {
          // Folded: the newest request's identity is the one that holds now.
          if (lane.waiting) {
            lane.waiting.request = request;
            lane.waiting.resolvers.push(resolve);
          } else lane.waiting = { request, resolvers: [resolve] };
          return;
        }
        const fresh = { waiting: null };
        lanes.set(request.conversationId, fresh);
        const run = drain(request.conversationId, fresh, { request, resolvers: [resolve] });
        running.add(run);
        void run.finally(() => running.delete(run));
      });
    },
    async idle() {
      while (running.size) await Promise.all([...running]);
    },
    async close() {
      shutdown.abort();
      while (running.size) await Promise.all([...running]);
    },
  };
}
