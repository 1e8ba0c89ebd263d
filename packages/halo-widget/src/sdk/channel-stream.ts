import { httpError, networkError } from '../errors.js';
import type { ChatMessage, TokenRejectionReason } from '../types.js';
import type { ChannelHost } from './channel.js';
import type { Session } from './session.js';
import type { TokenUse } from './token-state.js';

// One stream of the live channel (docs/protocol.md "Live channel"): the `channel` call and
// its server-sent events, read to their end. channel.ts decides when to open one.

/** A message as the channel sends it. */
export interface WireMessage {
  id: string;
  conversation_id: string;
  seq: number;
  author: 'user' | 'assistant' | 'agent';
  agent?: { id: string; name: string };
  text: string;
  created_at: string;
}

const toChat = (m: WireMessage): ChatMessage => ({ ...m, role: m.author === 'user' ? 'user' : 'assistant' });

/** How one stream ended. */
export interface StreamOutcome {
  opened?: boolean;
  rejected?: TokenRejectionReason;
  end?: string;
  retryAfterMs?: number;
}

/**
 * Opens one stream (the token in the body, never in the URL) and reads it to its end. A
 * stream silent for more than two heartbeats and a bit is taken for dead (a half-open
 * connection) and aborted: a one-shot timer reset by each frame, never an interval.
 */
export async function stream(
  session: Session,
  host: ChannelHost,
  owner: string,
  use: TokenUse,
  cursors: Map<string, number>,
  receive: (message: ChatMessage, fromStream: boolean) => void,
  receiveDelta: (delta: { id: string; text: string }, fromStream: boolean) => void,
  stopSignal: AbortSignal,
): Promise<StreamOutcome> {
  const { calls } = host;
  const identity =
    session.userId === null ? { visitor_id: owner.slice(8) } : { user_id: session.userId, user_token: use.token ?? undefined };
  const request = new AbortController();
  const untrack = session.track(request);
  const onStop = (): void => request.abort();
  stopSignal.addEventListener('abort', onStop);
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const arm = (seconds: number): void => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => request.abort(), (seconds * 2 + 10) * 1000);
  };
  try {
    let response: Response;
    try {
      response = await calls.fetch(`${calls.apiBase}/api/sdk/channel`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ widget_key: calls.widgetKey, ...identity, after: Object.fromEntries(cursors) }),
        credentials: 'omit',
        signal: request.signal,
      });
    } catch (cause) {
      throw networkError('channel', cause);
    }
    calls.clock.observe(response.headers.get('Date'));
    if (response.status !== 200) {
      const body = (await response.json().catch(() => null)) as { error?: { code?: string; reason?: string } } | null;
      const error = body?.error;
      if (response.status === 403 && error?.code === 'identity_verification_failed')
        return { rejected: (error.reason as StreamOutcome['rejected']) ?? 'token_invalid' };
      const seconds = Number(response.headers.get('Retry-After'));
      throw httpError(
        response.status === 429 ? 'rate_limited' : response.status < 500 ? 'invalid_request' : 'server_error',
        'channel',
        response.status,
        '',
        {
          retryAfter: seconds >= 0 ? seconds : undefined,
        },
      );
    }
    // Something that answers 200 but is no channel (an old server behind a catch-all): as a 404.
    if (!response.headers.get('Content-Type')?.startsWith('text/event-stream')) throw httpError('not_found', 'channel', 404, '', {});
    if (session.userId !== null) session.tokens.confirmed();
    let heartbeat = 30;
    arm(heartbeat);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const outcome: StreamOutcome = { opened: true };
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (cause) {
        // Aborted (session end, stop, watchdog) or the connection dropped: reconnect from the cursor.
        void cause;
        return outcome;
      }
      if (chunk.done) return outcome;
      buffer += decoder.decode(chunk.value, { stream: true });
      for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.+)$/m.exec(frame)?.[1];
        const data = /^data: (.+)$/m.exec(frame)?.[1];
        const payload = data ? (JSON.parse(data) as Record<string, unknown>) : null;
        if (event === 'ready') heartbeat = Number(payload?.heartbeat_seconds) || heartbeat;
        arm(heartbeat);
        if (event === 'message' && payload) receive(toChat(payload as unknown as WireMessage), true);
        if (event === 'messageDelta' && typeof payload?.id === 'string' && typeof payload.text === 'string')
          receiveDelta({ id: payload.id, text: payload.text }, true);
        if (event === 'end') {
          outcome.end = String(payload?.reason);
          outcome.retryAfterMs = Number(payload?.retry_after_ms) || 0;
        }
      }
    }
  } finally {
    clearTimeout(watchdog);
    stopSignal.removeEventListener('abort', onStop);
    untrack();
  }
}
