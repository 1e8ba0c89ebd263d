import type { HaloError } from './errors.js';

/** A message of a conversation, as the Halo API returns it ("Wire protocol" section of docs/protocol.md). */
export interface ChatMessage {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant';
  text: string;
  /** ISO 8601. */
  created_at: string;
}

/** Traits describing the user. Untrusted unless they come from a verified token. */
export type UserTraits = Record<string, unknown> & { name?: string; email?: string };

/** What `onIdentityExpired` / the `identityExpired` event receives. */
export interface IdentityExpiredEvent {
  userId: string;
  /** The server's 403 reason, or `token_refresh_failed`. */
  reason: string;
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
  accent?: string;
  /** Which bottom corner the launcher sits in. @default 'right' */
  position?: 'left' | 'right';
  /** The panel header's title. @default 'Support' */
  title?: string;
  /** The line under the title. @default 'Ask us anything. We are here to help.' */
  subtitle?: string;
  /** URL of an image shown left of the title (the page's `img-src` must allow it); none if it fails to load. @default none */
  avatarUrl?: string;
}

/** Options of {@link createHalo} and `Halo.init`. */
export interface HaloOptions {
  /** Publishable key of the project: `ab_live_…` or `ab_test_…`. */
  widgetKey: string;
  /**
   * Where the Halo API lives.
   * @default the origin of the `<script src>` that loaded `halo.js`, else `location.origin`
   */
  apiBase?: string;
  /** The app's id for the logged-in user. @default none: an anonymous visitor */
  userId?: string;
  /** A JWT for `userId`, signed by the app's backend. @default none */
  userToken?: string;
  /** `name`, `email` and any other traits (untrusted). @default {} */
  userTraits?: UserTraits;
  /** Fetches a fresh JWT for the current user from the app's backend. @default none */
  getUserToken?: () => Promise<string>;
  /** The app must re-authenticate the user. @default none */
  onIdentityExpired?: (event: IdentityExpiredEvent) => void;
  /** Receives every error the SDK meets. @default none */
  onError?: (error: HaloError) => void;
  /** Refresh this many seconds before the token's `exp`. @default 300 */
  refreshSkewSeconds?: number;
  /** Give up on a `getUserToken` call after this many milliseconds. @default 10000 */
  tokenTimeoutMs?: number;
  /** Render the chat launcher and panel. @default true in a browser, false elsewhere */
  launcher?: boolean;
  /** Look of the launcher and panel. @default {} */
  theme?: HaloTheme;
  /**
   * Retries of transient failures (network errors, 502/503/504, 429 with `Retry-After`).
   * Other errors are never retried.
   * @default { attempts: 4, baseDelayMs: 300, maxDelayMs: 5000 }
   */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** The `fetch` to use (tests, proxies). @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Events of {@link HaloClient.on} and their payloads. */
export interface HaloEventMap {
  /** A message of the conversation: the user's once delivered, then the reply. */
  message: ChatMessage;
  /** The identity state changed. */
  identity: IdentityState;
  /** The app must re-authenticate the user (once per episode). */
  identityExpired: IdentityExpiredEvent;
  /** An error the SDK met (the same as `onError`). */
  error: HaloError;
}

export type HaloEventName = keyof HaloEventMap;

/** Options of {@link HaloClient.identify}. */
export interface IdentifyOptions {
  userToken?: string;
}

/** One chat client. Made by {@link createHalo}; `Halo.init` makes the page's one. */
export interface HaloClient {
  /** Same user: update traits / rotate the token. Another user: a user switch. */
  identify(userId: string, traits?: UserTraits, options?: IdentifyOptions): Promise<void>;
  /** Sends a message; resolves with the assistant's reply. */
  sendMessage(text: string): Promise<ChatMessage>;
  /** The current user's (or visitor's) conversation. */
  history(): Promise<ChatMessage[]>;
  /** Shows the panel (no-op without a launcher). */
  open(): void;
  /** Hides the panel (no-op without a launcher). */
  close(): void;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends HaloEventName>(event: E, handler: (payload: HaloEventMap[E]) => void): () => void;
  getIdentityState(): IdentityState;
  /** The user logged out: drops identity, token, conversation, visitor id and UI. */
  shutdown(): void;
}
