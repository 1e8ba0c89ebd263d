import { DEV } from '../dev.js';
import { identityChanged, invalidRequest, isHaloError, networkError, serverError, shutdownError, type HaloError } from '../errors.js';
import type {
  ChatMessage,
  HaloClient,
  HaloEventMap,
  HaloEventName,
  HaloOptions,
  HistoryOptions,
  HistoryPage,
  IdentifyOptions,
  IdentityState,
  PendingMessage,
  SendOptions,
  UserTraits,
} from '../types.js';
import { ServerClock } from './clock.js';
import { createCoordinator, type TokenCoordinator } from './cross-tab.js';
import { Emitter } from './emitter.js';
import { checkIdentify, checkListener, checkSendOptions, checkText } from './arguments.js';
import { fetchHistory } from './conversation.js';
import { callWithIdentity, type CallSettings } from './identity-call.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { createMessages, type Outgoing } from './messages.js';
import type { Outbox } from './outbox.js';
import { keepPending, takeKept } from './held-messages.js';

const noop = (): void => undefined;
import { identitySnapshot } from './identity-snapshot.js';
import { loadLauncher } from './launcher.js';
import { PanelState } from './panel-state.js';
import { randomId } from './random-id.js';
import { Session } from './session.js';
import type { WidgetHandle } from './ui.js';
import type { LiveChannel } from './channel.js';
import { VisitorId } from './visitor.js';
import { hints, hintThrow, startDiagnostics } from './diagnostics.js';
import { warnMissingTraits } from './warn-missing-traits.js';

/**
 * One chat client: the public surface ({@link HaloClient}), its events, and the wiring of
 * its parts — the user {@link Session} (token state, refresher, conversation), the
 * identity-carrying call, the {@link Outbox} and (in a browser) the launcher.
 */
export class Client implements HaloClient {
  readonly #options: ResolvedOptions;
  readonly #clock = new ServerClock();
  readonly #events = new Emitter();
  readonly #outbox: Outbox<Outgoing>;
  readonly #visitor: VisitorId;
  readonly #calls: CallSettings;
  readonly #coordinator: TokenCoordinator | null;
  readonly #reported = new WeakSet<HaloError>();
  readonly #warnedAnonymous = new Set<string>();
  #session: Session;
  #traits: UserTraits;
  /** What getIdentityState() returns until a field changes: a stable store snapshot (useSyncExternalStore). */
  #state: IdentityState | null = null;
  #lastState: IdentityState | null = null;
  #done = false;
  #widget: WidgetHandle | null = null;
  readonly #panel = new PanelState(this.#events);
  /** Ids of the messages already announced: the chat answer and the live channel may both bring one. */
  readonly #seen = new Set<string>();
  /** The live channel, once its chunk has loaded; `#liveStarted` from the first reason to open it. */
  #live: LiveChannel | null = null;
  #liveStarted = false;
  #holdEvents = false;
  /** While the constructor runs, errors wait a microtask: the app has no client to use yet (re-entrant). */
  #starting = true;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#traits = options.userTraits;
    // The app's callbacks are the first subscribers: they hear every error / expiry first,
    // and a throwing one is logged without stopping the others (see Emitter).
    if (options.onError) this.#events.on('error', options.onError);
    if (options.onIdentityExpired) this.#events.on('identityExpired', options.onIdentityExpired);
    this.#visitor = new VisitorId(options.widgetKey);
    // Development build: watches options.fetch and getUserToken, and the userToken (docs/troubleshooting.md).
    if (DEV) startDiagnostics(this, options, this.#clock);
    this.#calls = {
      fetch: options.fetch,
      apiBase: options.apiBase,
      widgetKey: options.widgetKey,
      retry: options.retry,
      clock: this.#clock,
      visitorId: () => this.#visitor.get(),
      answered: (session, result) => session.answered(result) && session === this.#session && this.#emitState(),
    };
    // Browsers only: Node has a BroadcastChannel too, but server-side clients must stay apart.
    this.#coordinator =
      typeof window === 'undefined' ? null : createCoordinator(options.widgetKey, (userId, token) => this.#receiveShared(userId, token));
    this.#session = this.#newSession(options.userId);
    this.#outbox = createMessages({
      calls: this.#calls,
      session: () => this.#session,
      traits: () => this.#traits,
      now: () => this.#clock.localMs(),
      message: (message) => this.#deliver(message),
      pending: (list) => {
        if (this.#done) return;
        // Kept per user across a navigation (a re-login redirect): text and id only.
        if (this.#session.userId) keepPending(options.widgetKey, this.#session.userId, list);
        this.#events.emit('pending', list);
      },
      report: (error) => this.#report(error),
      fail: (error) => this.#fail(error),
      retryToken: () => this.#retryToken(),
    });
    if (options.userToken) this.#session.tokens.offer(options.userToken);
    this.#restoreKept();
    this.#lastState = this.getIdentityState();
    if (options.userId) {
      // Posted in the background; a failure goes to onError, never throws.
      this.#identifyNow().catch((error: unknown) => this.#fail(error));
    }
    if (options.launcher) this.#mountWidget();
    this.#starting = false;
  }

  identify(userId: string, traits: UserTraits = {}, options: IdentifyOptions = {}): Promise<void> {
    return this.#guard(async () => {
      const userToken = checkIdentify(userId, traits, options);
      // One `identity` event, once the switch is complete: a handler that calls history()
      // must see the new user, their token and no old conversation (user-switch-discards, re-entrant).
      this.#holdEvents = true;
      try {
        if (userId !== this.#session.userId) {
          this.#switchUser(userId, identityChanged());
          this.#traits = { ...traits };
        } else {
          this.#traits = { ...this.#traits, ...traits };
        }
        if (userToken) this.#session.tokens.offer(userToken);
        if (DEV) hints(this)?.token(userToken, 'userToken');
      } finally {
        this.#holdEvents = false;
      }
      this.#emitState();
      await this.#identifyNow();
    });
  }

  sendMessage(text: string, options?: SendOptions): Promise<ChatMessage> {
    return this.#guard(async () => this.#send(text, checkSendOptions(options) ?? randomId()));
  }

  getPendingMessages(): readonly PendingMessage[] {
    return this.#outbox.list();
  }

  cancel(clientMessageId: string): boolean {
    if (this.#done) throw shutdownError();
    return this.#outbox.cancel(clientMessageId);
  }

  /**
   * Queues one message under its `client_message_id`: the app's (a re-send after a reload),
   * the widget's (its Retry button), or a new one. The server stores an id once.
   */
  #send(text: string, clientMessageId: string): Promise<ChatMessage> {
    return this.#guard(
      () =>
        new Promise<ChatMessage>((resolve, reject) => {
          checkText(text);
          if (this.#outbox.has(clientMessageId))
            throw invalidRequest(DEV && `A message with clientMessageId "${clientMessageId}" is already pending.`);
          this.#outbox.push({ text, clientMessageId, session: this.#session, resolve, reject });
        }),
    );
  }

  history(options?: HistoryOptions): Promise<HistoryPage> {
    return this.#guard(() => fetchHistory(this.#calls, this.#session, options));
  }

  open(): void {
    this.#show(true);
  }

  close(): void {
    this.#show(false);
  }

  on<E extends HaloEventName>(event: E, handler: (payload: HaloEventMap[E]) => void): () => void {
    if (this.#done) throw shutdownError();
    checkListener(event, handler);
    if (event === 'message' || event === 'unread' || event === 'messageDelta') this.#startLive();
    return this.#events.on(event, handler);
  }

  isOpen(): boolean {
    return this.#panel.open;
  }

  getUnreadCount(): number {
    return this.#panel.unread;
  }

  getIdentityState(): IdentityState {
    const { userId, status, tokens } = this.#session;
    // A token past exp is never called verified, whatever the server said before (refresh-failure-keeps-messages).
    const verified = this.#session.verified && tokens.pastExp ? false : this.#session.verified;
    return (this.#state = identitySnapshot(this.#state, { userId, status, verified, tokenExpiresAt: tokens.expiresAt }));
  }

  shutdown(): void {
    this.#end(true);
  }

  destroy(): void {
    this.#end(false);
  }

  // ── internals ────────────────────────────────────────────────────────────

  /**
   * shutdown() (a logout) and destroy() (a teardown, e.g. an unmounted React provider): both
   * end the session (its requests and getUserToken are aborted, its calls reject with
   * `shutdown`) and remove the UI; only a logout forgets the visitor id, so after destroy()
   * the next client continues the visitor's conversation.
   */
  #end(logout: boolean): void {
    if (this.#done) return;
    this.#done = true;
    // No event at all after shutdown, not even the identity change it causes: the app asked for it.
    this.#events.clear();
    // Closed before the session ends, so nothing of it is delivered after.
    this.#live?.stop();
    this.#live = null;
    // A logout drops what the user typed but could not send; a teardown (destroy) keeps it.
    if (logout && this.#session.userId) keepPending(this.#options.widgetKey, this.#session.userId, []);
    this.#switchUser(null, shutdownError());
    if (logout) this.#visitor.reset();
    this.#coordinator?.close();
    if (DEV) hints(this)?.close();
    this.#widget?.destroy();
    this.#widget = null;
  }

  /** A session for `userId` whose token events reach this client while it is current. */
  #newSession(userId: string | null): Session {
    const { refreshSkewSeconds, tokenTimeoutMs, getUserToken } = this.#options;
    return new Session(
      userId,
      { clock: this.#clock, refreshSkewSeconds, tokenTimeoutMs, getUserToken, coordinator: this.#coordinator },
      {
        report: (error) => this.#report(error),
        changed: () => {
          this.#emitState();
          // Behind the head, a message is `held` while expired and `queued` otherwise.
          this.#outbox?.update();
        },
        expired: (event) => this.#events.emit('identityExpired', event),
        recovered: () => {
          this.#outbox.resume();
          this.#live?.wake();
        },
      },
    );
  }

  /** A user switch, or `null` on shutdown: the previous session ends and its queue goes (user-switch-discards). */
  #switchUser(userId: string | null, reason: HaloError): void {
    this.#session.end(reason);
    // Taken before the drain below announces the (new user's) empty list, which would erase them.
    const kept = userId ? takeKept(this.#options.widgetKey, userId) : [];
    this.#session = this.#newSession(userId);
    // The old identity's channel is closed (its request aborted with the session) before the new one's opens.
    this.#live?.follow(this.#session);
    this.#outbox.drain((item) => item.reject(reason));
    this.#restoreKept(kept);
    this.#emitState();
  }

  /** Queues the messages kept for this session's user (a navigation came between), each under its own id. */
  #restoreKept(kept = this.#session.userId ? takeKept(this.#options.widgetKey, this.#session.userId) : []): void {
    // Nobody awaits these: their answers arrive as `message` events, failures are reported as usual.
    for (const [clientMessageId, text] of kept)
      if (typeof clientMessageId == 'string' && typeof text == 'string' && !this.#outbox.has(clientMessageId))
        this.#outbox.push({ text, clientMessageId, session: this.#session, resolve: noop, reject: noop });
  }

  /** A token another tab fetched; the session checks it names its user (token-matches-user). */
  #receiveShared(userId: string, token: string): void {
    const session = this.#session;
    if (!this.#done && userId === session.userId) session.tokens.receiveShared(token);
  }

  /** Asked by the outbox while expired: getUserToken once more (nothing-lost). */
  #retryToken(): void {
    const { refresher, tokens } = this.#session;
    refresher?.refresh(true, tokens.seq).catch((error: unknown) => {
      // Already reported by the refresher; the outbox tries again on its schedule.
      void error;
    });
  }

  /** Announces a message once per id (delivered-once), and moves the live channel's cursor. */
  #deliver(message: ChatMessage): void {
    if (this.#seen.has(message.id)) return;
    this.#seen.add(message.id);
    // Bounded: a duplicate is only ever a recent message.
    if (this.#seen.size > 1000) this.#seen.delete(this.#seen.values().next().value!);
    this.#live?.saw(message);
    this.#events.emit('message', message);
  }

  /** Loads the live channel's chunk (browsers only) and opens the current session's channel. */
  #startLive(): void {
    if (this.#liveStarted || typeof window === 'undefined') return;
    this.#liveStarted = true;
    import('./channel.js').then(
      ({ startChannel }) => {
        if (this.#done) return;
        this.#live = startChannel({
          calls: this.#calls,
          owner: (session) => (session.userId === null ? `visitor:${this.#visitor.get()}` : `user:${session.userId}`),
          deliver: (session, message) => session === this.#session && this.#deliver(message),
          events: this.#events,
          report: (error) => this.#report(error),
        });
        this.#live.follow(this.#session);
      },
      (cause: unknown) => this.#report(networkError('channel', cause)),
    );
  }

  /** Runs a public async method: after shutdown it rejects, every failure is a reported HaloError. */
  async #guard<T>(run: () => Promise<T>): Promise<T> {
    if (this.#done) throw shutdownError();
    try {
      return await run();
    } catch (error) {
      throw this.#fail(error);
    }
  }

  #show(open: boolean): void {
    if (this.#done) throw shutdownError();
    this.#panel.set(open);
    this.#widget?.[open ? 'open' : 'close']();
  }

  /** Any failure as a reported HaloError. */
  #fail(error: unknown): HaloError {
    const haloError = isHaloError(error) ? error : serverError(DEV && 'Unexpected error in the Halo SDK.', { cause: error });
    this.#report(haloError);
    return haloError;
  }

  /** onError and the `error` event, once per error; never for `shutdown`, nor after it. */
  #report(error: HaloError): void {
    if (error.code === 'shutdown' || this.#done || this.#reported.has(error)) return;
    this.#reported.add(error);
    if (DEV) hints(this)?.error(error, this.#session.userId);
    if (this.#starting) queueMicrotask(() => this.#events.emit('error', error));
    else this.#events.emit('error', error);
  }

  #emitState(): void {
    if (this.#holdEvents || this.#done) return;
    const state = this.getIdentityState();
    if (state === this.#lastState) return;
    this.#lastState = state;
    this.#events.emit('identity', state);
  }

  /** warn-missing-traits for this user (once), then the identify call in the current session. */
  async #identifyNow(): Promise<void> {
    try {
      await callWithIdentity(this.#calls, this.#session, 'identify', { user_traits: this.#traits });
    } finally {
      // After the call: the token (and so its name and email claims) has been read by then.
      warnMissingTraits(this.#warnedAnonymous, this.#session.userId, this.#traits, this.#session.tokens.namesUser);
    }
  }

  #mountWidget(): void {
    const send = (text: string, id: string) => this.#send(text, id);
    const toggled = (open: boolean) => this.#done || this.#panel.set(open);
    loadLauncher(
      this,
      { theme: this.#options.theme, send, messageId: randomId, toggled },
      {
        ended: () => this.#done,
        mounted: (widget) => {
          this.#widget = widget;
          if (this.#panel.open) widget.open();
        },
        failed: (error) => this.#report(error),
      },
    );
  }
}

/** Creates an independent chat client. Throws `secret_exposed` / `invalid_options`. */
export function createHalo(options: HaloOptions): HaloClient {
  return new Client(DEV ? hintThrow(() => resolveOptions(options)) : resolveOptions(options));
}
