import { networkError, type HaloError } from '../errors.js';
import type { ChatMessage } from '../types.js';
import type { Emitter } from './emitter.js';
import { isTransient, messageDelay, waitForNetwork } from './delivery.js';
import { recover, tokenForCall, type CallSettings } from './identity-call.js';
import { stream, type WireMessage } from './channel-stream.js';
import { channelName } from './names.js';
import type { Session } from './session.js';
import type { TokenUse } from './token-state.js';

// The live channel, client side (docs/protocol.md "Live channel", ADR 0820–0823): a lazily
// loaded chunk. One stream per browser and identity: the tab holding the Web Lock carries
// it and relays what arrives over a BroadcastChannel; the others listen and wait for the lock.

/** What the channel needs from its client. */
export interface ChannelHost {
  calls: CallSettings;
  /** `user:<id>` or `visitor:<id>`: whose channel a session's is. */
  owner(session: Session): string;
  /** Hands a message to the client, if `session` is still its session (it de-duplicates by id). */
  deliver(session: Session, message: ChatMessage): void;
  /** The client's events: a streaming reply's `messageDelta` goes out on them (the core stays small). */
  events: Pick<Emitter, 'emit'>;
  report(error: HaloError): void;
}

/** The client's handle on its channel. */
export interface LiveChannel {
  /** Closes the channel of the previous session (a user switch) and opens the new session's. */
  follow(session: Session): void;
  /** A message the client delivered (the chat answer's too): moves the cursor. */
  saw(message: ChatMessage): void;
  /** Cuts a backoff short (a token arrived, the page came back). */
  wake(): void;
  stop(): void;
}

type Relay =
  { type: 'halo:live'; owner: string; message: ChatMessage } | { type: 'halo:delta'; owner: string; delta: { id: string; text: string } };

/** The server's own cap on `after` entries (channel-bounded). */
const MAX_CURSORS = 20;
/** A page hidden this long lets its channel go; it catches up from the cursor when seen again. */
export const HIDDEN_CLOSE_MS = 5 * 60_000;

type Locks = { request(name: string, options: { signal: AbortSignal }, fn: () => Promise<void>): Promise<void> };
const lockManager = (): Locks | null => (globalThis.navigator as { locks?: Locks | null } | undefined)?.locks ?? null;

/** Starts the channel machinery for a client; `follow(session)` opens a session's channel. */
export function startChannel(host: ChannelHost): LiveChannel {
  const { calls } = host;
  const relay = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`${channelName(calls.widgetKey)}:live`) : null;
  let current: Follow | null = null;
  if (relay)
    relay.onmessage = (event: MessageEvent<Relay>) => {
      const data = event.data;
      // Another tab's stream: only the messages of this tab's identity (channel-isolation).
      if (!current || data?.owner !== current.owner) return;
      if (data.type === 'halo:live') current.receive(data.message, false);
      else if (data.type === 'halo:delta') current.receiveDelta(data.delta, false);
    };
  const onWake = (): void => current?.wake();
  const listen = (method: 'addEventListener' | 'removeEventListener'): void => {
    if (typeof window === 'undefined') return;
    window[method]('online', onWake);
    document[method]('visibilitychange', onWake);
  };
  listen('addEventListener');
  return {
    follow(session) {
      current?.stop();
      current = follow(session, host, relay);
    },
    saw: (message) => current?.saw(message),
    wake: onWake,
    stop() {
      current?.stop();
      current = null;
      listen('removeEventListener');
      relay?.close();
    },
  };
}

interface Follow {
  owner: string;
  receive(message: ChatMessage, relayed: boolean): void;
  receiveDelta(delta: { id: string; text: string }, fromStream: boolean): void;
  saw(message: ChatMessage): void;
  wake(): void;
  stop(): void;
}

/** One session's channel: waits for the lock, then keeps a stream open until the session ends. */
function follow(session: Session, host: ChannelHost, relay: BroadcastChannel | null): Follow {
  const owner = host.owner(session);
  const cursors = new Map<string, number>();
  const stopper = new AbortController();
  // The session's end stops its channel too, whatever the client does next (no wait outlives it).
  session.signal.addEventListener('abort', () => stopper.abort());
  const stopped = (): boolean => stopper.signal.aborted || session.signal.aborted;
  let wakeUp: () => void = () => {};
  let hiddenSince: number | null = null;

  const saw = (message: ChatMessage): void => {
    const seq = (message as Partial<WireMessage>).seq;
    if (typeof seq !== 'number' || seq <= (cursors.get(message.conversation_id) ?? 0)) return;
    cursors.delete(message.conversation_id);
    cursors.set(message.conversation_id, seq);
    if (cursors.size > MAX_CURSORS) cursors.delete(cursors.keys().next().value!);
  };
  const receive = (message: ChatMessage, fromStream: boolean): void => {
    if (stopped()) return;
    if (fromStream) relay?.postMessage({ type: 'halo:live', owner, message } satisfies Relay);
    saw(message);
    received.add(message.id);
    // Bounded: a late delta is only ever one of the newest replies.
    if (received.size > 200) received.delete(received.values().next().value!);
    host.deliver(session, message);
  };
  // Deltas are ephemeral: no cursor moves; the stored message of the same id replaces them.
  // One of a reply already received (late, or relayed from another tab) would undo its final text.
  const received = new Set<string>();
  const receiveDelta = (delta: { id: string; text: string }, fromStream: boolean): void => {
    if (stopped() || received.has(delta.id)) return;
    if (fromStream) relay?.postMessage({ type: 'halo:delta', owner, delta } satisfies Relay);
    host.events.emit('messageDelta', delta);
  };

  /** Sleeps `ms` (or until woken; without `ms` no timer runs); false once the session or the channel has stopped. */
  const sleep = (ms?: number): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = ms! >= 0 ? setTimeout(done, ms) : 0;
      function done(): void {
        clearTimeout(timer);
        stopper.signal.removeEventListener('abort', done);
        resolve(!stopped());
      }
      wakeUp = done;
      stopper.signal.addEventListener('abort', done);
    });

  const hidden = (): boolean => typeof document !== 'undefined' && document.visibilityState === 'hidden';

  /** Keeps the stream open (reconnect, backoff, token rules) until the session ends. */
  const carry = async (): Promise<void> => {
    let failures = 0;
    let use: TokenUse | null = null;
    let retried = false;
    while (!stopped()) {
      if (hidden() && hiddenSince !== null && Date.now() - hiddenSince > HIDDEN_CLOSE_MS) {
        // Hidden for long: no stream until the page is seen again (visibilitychange wakes us).
        await sleep();
        continue;
      }
      await waitForNetwork();
      let delay: number;
      try {
        use ??= await tokenForCall(session);
        const outcome = await stream(session, host, owner, use, cursors, receive, receiveDelta, stopper.signal);
        if (outcome.opened) {
          failures = 0;
          retried = false;
        }
        // channel-follows-token: the server ended the stream at its token's exp. Taken as a 403 for that
        // token, never as a reason to open a stream with it again: within the server's 30 s
        // clock-tolerance it would be opened and ended at once, in a loop, while getUserToken fails.
        const refused = outcome.end === 'token_expired' ? outcome.end : outcome.rejected;
        if (refused) {
          // retry-once-on-403, as for a call: one forced refresh, then the expired episode.
          use = await recover(session, use, refused, retried);
          retried = true;
          continue;
        }
        // The next stream needs a token chosen by the freshness rule again.
        use = null;
        delay = Math.max(messageDelay(networkError('channel'), ++failures), outcome.retryAfterMs ?? 0);
      } catch (error) {
        if (stopped()) return;
        const haloError = error as HaloError;
        use = null;
        if (haloError.code === 'identity_expired') {
          // channel-closed-while-expired: only a new token (identify, another tab, a refresh of the app's
          // next call or of the outbox) ends the wait — not `online` nor the tab shown again, which would
          // each send a refusal charged to the address (refusals-are-charged). No timer meanwhile.
          while ((await sleep()) && session.status === 'expired');
          continue;
        }
        if (!isTransient(haloError)) {
          // A server without the live channel (404) is no error of the app's: the widget works without it.
          if (haloError.status !== 404) host.report(haloError);
          return;
        }
        delay = messageDelay(haloError, ++failures);
      }
      await sleep(delay);
    }
  };

  const onVisibility = (): void => {
    hiddenSince = hidden() ? Date.now() : null;
  };
  if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisibility);
  const run = (): Promise<void> =>
    carry().finally(() => typeof document !== 'undefined' && document.removeEventListener('visibilitychange', onVisibility));
  const locks = lockManager();
  if (!locks || !relay) void run();
  else {
    // One stream per browser and identity: the other tabs wait here, and one takes over when it closes.
    // The stopper aborts with the session too, so its signal ends the wait on either.
    locks.request(`${channelName(host.calls.widgetKey)}:${owner}:live`, { signal: stopper.signal }, run).catch((error: unknown) => {
      // Aborted while waiting (user switch, stop): this tab never carried the channel.
      if (!stopped()) host.report(error as HaloError);
    });
  }
  return {
    owner,
    receive,
    receiveDelta,
    saw,
    wake: () => {
      onVisibility();
      wakeUp();
    },
    stop: () => stopper.abort(),
  };
}
