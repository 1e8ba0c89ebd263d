import type { ServerResponse } from 'node:http';
import type { ConversationMessage, SupportStore } from '../store/conversation-model.js';
import type { HaloLogger } from '../types.js';
import { safeLog } from '../ops/safe-log.js';

/** Why the server ends a channel (the `end` event's `reason`). */
export type EndReason = 'token_expired' | 'shutdown' | 'slow_reader' | 'store_unavailable';

/** Messages read per store round trip while catching up. */
const PAGE = 100;

/** Conversation cursors kept per channel: the oldest is forgotten past it (it resumes from the client's own cursor). */
const MAX_KEPT_CURSORS = 64;

/** What one channel needs from the hub. */
export interface StreamHost {
  store: SupportStore;
  logger: HaloLogger;
  maxBufferedBytes: number;
  /** Called once when the channel is gone, however it ended. */
  closed(stream: ChannelStream): void;
}

/**
 * One open channel: an SSE response for one identity of one project. It keeps a cursor per
 * conversation and reads the store after it, one read at a time per conversation (a second
 * announcement while reading only asks for one more read), so every message goes out once
 * and in seq order (resume-from-cursor). A reader that lets more than `maxBufferedBytes`
 * wait in the socket is dropped (channel-bounded).
 */
export class ChannelStream {
  readonly project: string;
  readonly owner: string;
  readonly address: string;
  readonly #res: ServerResponse;
  readonly #host: StreamHost;
  readonly #cursors = new Map<string, number>();
  readonly #reading = new Map<string, boolean>();
  /** Per conversation, the client_message_id of the user message just passed over (its reply is skipped too). */
  readonly #lastUserMessage = new Map<string, string | null>();
  #expiry: ReturnType<typeof setTimeout> | undefined;
  #open = true;

  constructor(res: ServerResponse, project: string, owner: string, address: string, host: StreamHost) {
    this.#res = res;
    this.project = project;
    this.owner = owner;
    this.address = address;
    this.#host = host;
    // The client went away (tab closed, reconnect, network): nothing more to write.
    res.on('close', () => this.#closed());
  }

  /** Whether the channel still writes. */
  get open(): boolean {
    return this.#open;
  }

  /** Starts the stream: the `ready` event, then the ending at the token's expiry (channel-follows-token). */
  start(ready: Record<string, unknown>, expiresInMs: number | null): void {
    this.#write('ready', ready);
    if (expiresInMs !== null) {
      // setTimeout keeps 32 bits: a token valid for more than ~24 days is ended then, and the client reconnects.
      this.#expiry = setTimeout(() => this.end('token_expired', 0), Math.min(Math.max(0, expiresInMs), 2 ** 31 - 1));
    }
  }

  /** A conversation the client named: its cursor, where reading resumes (resume-from-cursor). */
  resumeFrom(conversationId: string, after: number): void {
    this.#keep(conversationId, after);
    this.pull(conversationId, after + 1);
  }

  /**
   * Reads the conversation after its cursor. A conversation this channel has not seen starts
   * at `seq` (the announced message): its earlier messages are history, not news.
   */
  pull(conversationId: string, seq: number): void {
    if (!this.#open) return;
    if (!this.#cursors.has(conversationId)) this.#keep(conversationId, seq - 1);
    if (this.#reading.has(conversationId)) {
      this.#reading.set(conversationId, true);
      return;
    }
    this.#reading.set(conversationId, false);
    void this.#read(conversationId);
  }

  /** Reads every conversation this channel keeps a cursor for after it (the notifier's `resync`). */
  resync(): void {
    for (const [conversationId, cursor] of [...this.#cursors]) this.pull(conversationId, cursor + 1);
  }

  /** Writes a streaming AI reply's text so far (`messageDelta`, ephemeral: the stored `message` of the same id replaces it). */
  delta(conversationId: string, id: string, text: string): void {
    this.#write('messageDelta', { id, conversation_id: conversationId, text });
  }

  /** Writes a comment line: the server's heartbeat, which keeps proxies and the client's idle check satisfied. */
  heartbeat(): void {
    if (this.#open) this.#send(':\n\n');
  }

  /** Ends the stream with a reason and the least the client should wait before reconnecting. */
  end(reason: EndReason, retryAfterMs: number): void {
    if (!this.#open) return;
    this.#write('end', { reason, retry_after_ms: retryAfterMs });
    this.#res.end();
    this.#closed();
  }

  async #read(conversationId: string): Promise<void> {
    try {
      for (;;) {
        const after = this.#cursors.get(conversationId) ?? 0;
        const page = await this.#host.store.readMessages(this.project, conversationId, { after, limit: PAGE });
        if (!this.#open) return;
        const messages = page?.messages ?? [];
        for (const message of messages) this.#deliver(message);
        // A full page may have more behind it; an announcement during the read asks for one more.
        if (messages.length === PAGE) continue;
        if (this.#reading.get(conversationId)) {
          this.#reading.set(conversationId, false);
          continue;
        }
        return;
      }
    } catch (error) {
      // The client resumes from its cursor once the store is back: nothing is lost by ending here.
      safeLog(this.#host.logger, 'error', () => ['[halo] channel: could not read the conversation:', error]);
      this.end('store_unavailable', 1000);
    } finally {
      this.#reading.delete(conversationId);
    }
  }

  #deliver(message: ConversationMessage): void {
    const cursor = this.#cursors.get(message.conversation_id) ?? 0;
    if (message.seq <= cursor) return;
    this.#cursors.set(message.conversation_id, message.seq);
    // What the chat answer delivers is not repeated (ADR 0822): the user's own messages, and the
    // reply stored with one in the same exchange (the next seq, carrying the same
    // client_message_id; an AI or agent message carries its own). Sent here, that reply could
    // reach the widget before the answer and show above the message it answers.
    if (message.author === 'user') {
      this.#lastUserMessage.set(message.conversation_id, message.client_message_id ?? null);
      if (this.#lastUserMessage.size > MAX_KEPT_CURSORS) this.#lastUserMessage.delete(this.#lastUserMessage.keys().next().value!);
      return;
    }
    const exchange = this.#lastUserMessage.get(message.conversation_id);
    this.#lastUserMessage.delete(message.conversation_id);
    if (message.author === 'assistant' && exchange && message.client_message_id === exchange) return;
    const { id, conversation_id, seq, author, agent, text, created_at } = message;
    this.#write(
      'message',
      agent ? { id, conversation_id, seq, author, agent, text, created_at } : { id, conversation_id, seq, author, text, created_at },
    );
  }

  #keep(conversationId: string, seq: number): void {
    this.#cursors.delete(conversationId);
    this.#lastUserMessage.delete(conversationId);
    this.#cursors.set(conversationId, Math.max(0, seq));
    if (this.#cursors.size > MAX_KEPT_CURSORS) this.#cursors.delete(this.#cursors.keys().next().value!);
  }

  #write(event: string, data: unknown): void {
    if (this.#open) this.#send(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  #send(frame: string): void {
    this.#res.write(frame);
    // slow reader: drop the channel rather than hold its backlog in memory.
    if (this.#res.writableLength > this.#host.maxBufferedBytes) {
      this.#res.destroy();
      this.#closed();
    }
  }

  #closed(): void {
    if (!this.#open) return;
    this.#open = false;
    clearTimeout(this.#expiry);
    this.#host.closed(this);
  }
}
