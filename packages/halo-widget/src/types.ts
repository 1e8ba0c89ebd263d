import type { ChatMessage, TokenRejectionReason } from './protocol.js';

export type { ChatMessage, TokenRejectionReason };
import type { HaloError } from './errors.js';

/** A message of a conversation, as the Halo API returns it ("Wire protocol" section of docs/protocol.md). */

/** Which page of the conversation `history()` asks for ([history-pages] in docs/protocol.md). */
export interface HistoryOptions {
  /** Only messages before this `seq` (a message's `seq`, usually the oldest one shown). @default the newest messages */
  before?: number;
  /** At most this many messages (1–200). @default 50 (the server's default) */
  limit?: number;
}

/**
 * One page of a conversation, oldest first: an array of messages (as `history()` always
 * returned) that also says whether older messages exist before its first one.
 */
export interface HistoryPage extends Array<ChatMessage> {
  /** The server's `has_more`: load them with `history({ before: page[0].seq })`. Not enumerable. */
  readonly hasMore: boolean;
}

/** Traits describing the user. Untrusted unless they come from a verified token. */
export type UserTraits = Record<string, unknown> & { name?: string | undefined; email?: string | undefined };

/** Why the server refused a user's token (the `reason` of its 403 `identity_verification_failed`). */

/** Why an identity expired: the server's 403 reason, or `token_refresh_failed`. */
export type IdentityExpiredReason = TokenRejectionReason | 'token_refresh_failed';

/** What `onIdentityExpired` / the `identityExpired` event receives. */
export interface IdentityExpiredEvent {
  userId: string;
  /** The server's 403 reason, or `token_refresh_failed`. */
  reason: IdentityExpiredReason;
}

/** What `getUserToken` receives. */
export interface GetUserTokenContext {
  /**
   * Aborted when the SDK stops waiting: after `tokenTimeoutMs`, on a user switch, on
   * `shutdown()` / `destroy()`. Pass it to `fetch` so the request stops too.
   */
  signal: AbortSignal;
}

export type IdentityStatus = 'anonymous' | 'identified' | 'refreshing' | 'expired';

/** A snapshot of who the client speaks for. */
export interface IdentityState {
  userId: string | null;
  status: IdentityStatus;
  /** As the server last reported it; `null` before any answer. */
  verified: boolean | null;
  /** The current token's `exp`, in epoch seconds. */
  tokenExpiresAt: number | null;
}

/** Theme of the built-in launcher and panel. */
export interface HaloTheme {
  /** Accent colour (any CSS colour). @default '#4f46e5' */
  accent?: string | undefined;
  /** Which bottom corner the launcher sits in. @default 'right' */
  position?: 'left' | 'right' | undefined;
  /** The panel header's title. @default 'Support' */
  title?: string | undefined;
  /** The line under the title. @default 'Ask us anything. We are here to help.' */
  subtitle?: string | undefined;
  /** URL of an image shown left of the title (the page's `img-src` must allow it); none if it fails to load. @default none */
  avatarUrl?: string | undefined;
}

/** Options of {@link createHalo} and `Halo.init`. */
export interface HaloOptions {
  /** Publishable key of the project: `ab_live_…` or `ab_test_…`. */
  widgetKey: string;
  /**
   * Where the Halo API lives.
   * @default the origin of the `<script src>` that loaded `halo.js`, else `location.origin`
   */
  apiBase?: string | undefined;
  /** The app's id for the logged-in user. @default none: an anonymous visitor */
  userId?: string | undefined;
  /** A JWT for `userId`, signed by the app's backend. @default none */
  userToken?: string | undefined;
  /** `name`, `email` and any other traits (untrusted). @default {} */
  userTraits?: UserTraits | undefined;
  /** Fetches a fresh JWT for the current user from the app's backend. @default none */
  getUserToken?: ((context: GetUserTokenContext) => Promise<string>) | undefined;
  /** The app must re-authenticate the user. @default none */
  onIdentityExpired?: ((event: IdentityExpiredEvent) => void) | undefined;
  /** Receives every error the SDK meets. @default none */
  onError?: ((error: HaloError) => void) | undefined;
  /** Refresh this many seconds before the token's `exp`. @default 300 */
  refreshSkewSeconds?: number | undefined;
  /** Give up on a `getUserToken` call after this many milliseconds. @default 10000 */
  tokenTimeoutMs?: number | undefined;
  /** Render the chat launcher and panel. @default true in a browser, false elsewhere */
  launcher?: boolean | undefined;
  /** Look of the launcher and panel. @default {} */
  theme?: HaloTheme | undefined;
  /**
   * Retries of transient failures (network errors, 502/503/504, 429 with `Retry-After`) of
   * `identify` and `history` calls. Messages are not bound by it: `sendMessage` retries until
   * the message is stored (1 s to 30 s between tries, see delivered-exactly-once).
   * @default { attempts: 4, baseDelayMs: 300, maxDelayMs: 5000 }
   */
  retry?: { attempts?: number | undefined; baseDelayMs?: number | undefined; maxDelayMs?: number | undefined } | undefined;
  /** The `fetch` to use (tests, proxies). @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
}

/**
 * Where a message waiting in the outbox stands: `queued` (behind another message),
 * `sending` (on the wire), `retrying` (a transient failure; tried again at `nextAttemptAt`,
 * or when the browser is back online), `held` (the identity expired; sent once a token arrives).
 */
export type PendingState = 'queued' | 'sending' | 'retrying' | 'held';

/** A message that `sendMessage` accepted and that is not yet stored nor rejected. */
export interface PendingMessage {
  /** Sent as `client_message_id`; the server stores one message per id. */
  readonly clientMessageId: string;
  readonly text: string;
  readonly state: PendingState;
  /** Attempts that reached the network so far. */
  readonly attempts: number;
  /** When the next attempt (or, while `held`, the next `getUserToken` try) is due, in epoch ms; `null` when not scheduled. */
  readonly nextAttemptAt: number | null;
}

/** Why a message was `cancelled`: no attempt left (`not_sent`: nothing stored), or one may have been stored. */
export type CancelledReason = 'not_sent' | 'maybe_stored';

/** Options of {@link HaloClient.sendMessage}. */
export interface SendOptions {
  /**
   * The message's `client_message_id` (1–100 characters). Pass the id of a message you sent
   * before (e.g. kept across a reload) to send it again: the server stores it once.
   * @default a random UUID
   */
  clientMessageId?: string | undefined;
}

/** Events of {@link HaloClient.on} and their payloads. */
export interface HaloEventMap {
  /**
   * A message of the conversation, once each (by `id`): the user's once delivered, the reply,
   * and what others write into it (an agent, an AI answering later), live while subscribed.
   */
  message: ChatMessage;
  /**
   * An AI reply still being written: `text` is the whole text so far, `id` the id its `message`
   * will have (that message replaces it). Live only, never in history; may skip steps.
   */
  messageDelta: { id: string; text: string };
  /** The identity state changed. */
  identity: IdentityState;
  /** The app must re-authenticate the user (once per episode). */
  identityExpired: IdentityExpiredEvent;
  /** An error the SDK met (the same as `onError`). */
  error: HaloError;
  /** The panel opened (the app's `open()`, or the user in the widget). */
  open: undefined;
  /** The panel closed. */
  close: undefined;
  /** The number of unread messages from others (assistant, agent) changed: one more arrived while closed, or 0 on open. */
  unread: number;
  /** The outbox changed: the new {@link HaloClient.getPendingMessages} list. */
  pending: readonly PendingMessage[];
}

export type HaloEventName = keyof HaloEventMap;

/** Options of {@link HaloClient.identify}. */
export interface IdentifyOptions {
  userToken?: string | undefined;
}

/** One chat client. Made by {@link createHalo}; `Halo.init` makes the page's one. */
export interface HaloClient {
  /** Same user: update traits / rotate the token. Another user: a user switch. */
  identify(userId: string, traits?: UserTraits, options?: IdentifyOptions): Promise<void>;
  /**
   * Sends a message; resolves with the assistant's reply once it is stored. Transient
   * failures are retried until then; it rejects only when the message was not stored.
   */
  sendMessage(text: string, options?: SendOptions): Promise<ChatMessage>;
  /** The messages not yet stored nor rejected, in sending order (the same array until it changes). */
  getPendingMessages(): readonly PendingMessage[];
  /**
   * Stops a pending message: its `sendMessage` rejects with `cancelled`. On the wire, the
   * attempt runs to its end (stored: it resolves; otherwise `cancelled`). False when no
   * pending message has that id.
   */
  cancel(clientMessageId: string): boolean;
  /**
   * A page of the current user's (or visitor's) conversation: its newest messages, or, with
   * `before`, those before that `seq`. `hasMore` says whether older ones exist.
   */
  history(options?: HistoryOptions): Promise<HistoryPage>;
  /** Shows the panel (without a launcher, only `isOpen()` and the `open` event follow). */
  open(): void;
  /** Hides the panel (without a launcher, only `isOpen()` and the `close` event follow). */
  close(): void;
  /** Whether the panel is open. */
  isOpen(): boolean;
  /** Messages from others (assistant, agent) that arrived while the panel was closed; 0 once it opens. */
  getUnreadCount(): number;
  /**
   * Subscribes to an event; returns the unsubscribe function. Subscribing to `message`,
   * `unread` or `messageDelta` (or showing the launcher) opens the live channel.
   */
  on<E extends HaloEventName>(event: E, handler: (payload: HaloEventMap[E]) => void): () => void;
  /** Who the client speaks for: the same object until something in it changes. */
  getIdentityState(): IdentityState;
  /** The user logged out: drops identity, token, conversation, visitor id and UI. */
  shutdown(): void;
  /**
   * A teardown that is not a logout (an unmounted component, a test's cleanup): removes the
   * UI, stops the client and cuts short its calls, but keeps the visitor id, so the next
   * client continues the same anonymous conversation. Then like after `shutdown()`.
   */
  destroy(): void;
}
