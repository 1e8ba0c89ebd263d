import { HaloError, isHaloError } from '../errors.js';
import type {
  ChatMessage,
  HaloClient,
  HaloEventMap,
  HaloEventName,
  HaloOptions,
  IdentifyOptions,
  IdentityState,
  UserTraits,
} from '../types.js';
import { ServerClock } from './clock.js';
import { createCoordinator, type TokenCoordinator } from './cross-tab.js';
import { deliveryDelay, waitForNetwork } from './delivery.js';
import { Emitter } from './emitter.js';
import { containsSecret, isPlainObject, resolveOptions, secretExposed, type ResolvedOptions } from './options.js';
import { Outbox, type Delivery } from './outbox.js';
import { randomId } from './random-id.js';
import { identityChanged, TokenManager, type TokenUse } from './token-manager.js';
import { postCall, type SdkCall } from './transport.js';
import type { WidgetHandle } from './ui.js';
import { VisitorId } from './visitor.js';

interface Outgoing {
  text: string;
  clientMessageId: string;
  generation: number;
  resolve(reply: ChatMessage): void;
  reject(error: HaloError): void;
}

const MAX_MESSAGE_CHARS = 4000;
const MAX_QUEUED = 100;
const EVENTS: HaloEventName[] = ['message', 'identity', 'identityExpired', 'error', 'open', 'close', 'unread'];

/** `launcher: true` outside a browser (SSR, Node): warned about once per process, then ignored. */
let warnedNoDom = false;

function shutdownError(): HaloError {
  return new HaloError('shutdown', 'Client is shut down; create a new one.');
}

function badArgument(message: string): HaloError {
  return new HaloError('invalid_request', message);
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

function isChatMessage(value: unknown): value is ChatMessage {
  const m = value as ChatMessage | null;
  return (
    typeof m === 'object' && m !== null && typeof m.id === 'string' && typeof m.text === 'string' &&
    (m.role === 'user' || m.role === 'assistant') && typeof m.conversation_id === 'string'
  );
}

function unreadable(call: SdkCall): HaloError {
  return new HaloError('server_error', `Malformed ${call} answer.`);
}

/**
 * One chat client: identity, token refresh, the outgoing queue and (in a browser) the
 * launcher. The public surface is {@link HaloClient}.
 */
export class Client implements HaloClient {
  readonly #options: ResolvedOptions;
  readonly #clock = new ServerClock();
  readonly #events = new Emitter();
  readonly #tokens: TokenManager;
  readonly #outbox: Outbox<Outgoing>;
  readonly #visitor: VisitorId;
  readonly #reported = new WeakSet<HaloError>();
  readonly #warnedAnonymous = new Set<string>();
  #traits: UserTraits;
  #conversationId: string | null = null;
  #verified: boolean | null = null;
  /** The snapshot getIdentityState() returns until a field changes (stable for useSyncExternalStore). */
  #state: IdentityState | null = null;
  #lastState: IdentityState | null = null;
  #done = false;
  #widget: WidgetHandle | null = null;
  #open = false;
  #unread = 0;
  #coordinator: TokenCoordinator | null = null;
  #holdEvents = false;
  /** While the constructor runs, errors wait a microtask: the app has no client to use yet (T12). */
  #starting = true;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#traits = options.userTraits;
    // The app's callbacks are the first subscribers: they hear every error / expiry first,
    // and a throwing one is logged without stopping the others (see Emitter).
    if (options.onError) this.#events.on('error', options.onError);
    if (options.onIdentityExpired) this.#events.on('identityExpired', options.onIdentityExpired);
    this.#visitor = new VisitorId(options.widgetKey);
    this.#tokens = new TokenManager(options, this.#clock, {
      report: (error) => this.#report(error),
      changed: () => this.#emitState(),
      expired: (event) => this.#events.emit('identityExpired', event),
      recovered: () => this.#outbox.pump(),
    });
    this.#outbox = new Outbox<Outgoing>(
      (item) => this.#deliver(item),
      () => this.#tokens.status === 'expired',
    );
    this.#lastState = this.getIdentityState();
    // Browsers only: Node has a BroadcastChannel too, but server-side clients must stay apart.
    if (typeof window !== 'undefined') {
      this.#coordinator = createCoordinator(options.widgetKey, (userId, token) => this.#tokens.receiveShared(userId, token));
      this.#tokens.coordinate(this.#coordinator);
    }
    if (options.userId) {
      this.#tokens.setUser(options.userId);
      if (options.userToken) this.#tokens.offerToken(options.userToken);
      this.#warnIfAnonymous();
      // SPEC §3: posted in the background; a failure goes to onError, never throws.
      this.#identifyCall().catch((error: unknown) => this.#fail(error));
    }
    if (options.launcher) this.#mountWidget();
    // Replies that arrive while the panel is closed are unread (a badge on the app's button).
    this.#events.on('message', (message) => {
      if (message.role === 'assistant' && !this.#open) this.#events.emit('unread', ++this.#unread);
    });
    this.#starting = false;
  }

  identify(userId: string, traits: UserTraits = {}, options: IdentifyOptions = {}): Promise<void> {
    return this.#guard(async () => {
      if (containsSecret([userId, traits, options])) throw secretExposed('identify()');
      const userToken = isPlainObject(options) ? options.userToken : 0;
      if (!nonEmpty(userId) || !isPlainObject(traits) || !(userToken === undefined || nonEmpty(userToken))) {
        throw badArgument('identify(userId, traits?, { userToken? }): userId and userToken must be non-empty strings, traits and options plain objects.');
      }
      // One `identity` event, once the switch is complete: a handler that calls history()
      // must see the new user, their token and no old conversation (T9, T12).
      this.#holdEvents = true;
      try {
        if (userId !== this.#tokens.userId) {
          this.#switchUser(userId, identityChanged());
          this.#traits = { ...traits };
        } else {
          this.#traits = { ...this.#traits, ...traits };
        }
        if (userToken) this.#tokens.offerToken(userToken);
      } finally {
        this.#holdEvents = false;
      }
      this.#emitState();
      this.#warnIfAnonymous();
      await this.#identifyCall();
    });
  }

  sendMessage(text: string): Promise<ChatMessage> {
    return this.#send(text, randomId());
  }

  /**
   * Queues one message under its `client_message_id`. The widget's Retry button passes the
   * id of the failed attempt, so the server stores a message whose reply was lost only once.
   */
  #send(text: string, clientMessageId: string): Promise<ChatMessage> {
    return this.#guard(
      () =>
        new Promise<ChatMessage>((resolve, reject) => {
          if (!nonEmpty(text) || !text.trim() || [...text].length > MAX_MESSAGE_CHARS) {
            throw badArgument(`text must be a non-blank string of at most ${MAX_MESSAGE_CHARS} characters.`);
          }
          const expired = this.#tokens.status === 'expired';
          if (expired && this.#outbox.size >= MAX_QUEUED) {
            throw new HaloError('identity_expired', `Identity expired; ${MAX_QUEUED} messages already wait.`);
          }
          this.#outbox.push({ text, clientMessageId, generation: this.#tokens.generation, resolve, reject });
          if (expired) this.#tokens.retryForQueue();
        }),
    );
  }

  history(): Promise<ChatMessage[]> {
    return this.#guard(async () => {
      const generation = this.#tokens.generation;
      const data = await this.#call('history', this.#conversationId ? { conversation_id: this.#conversationId } : {});
      if (generation !== this.#tokens.generation) throw identityChanged();
      const { messages, conversation_id: conversationId } = data;
      if (!Array.isArray(messages) || !messages.every(isChatMessage)) throw unreadable('history');
      if (!this.#conversationId && typeof conversationId === 'string') this.#conversationId = conversationId;
      return messages;
    });
  }

  open(): void {
    this.#show(true);
  }

  close(): void {
    this.#show(false);
  }

  on<E extends HaloEventName>(event: E, handler: (payload: HaloEventMap[E]) => void): () => void {
    this.#assertAlive();
    if (!EVENTS.includes(event) || typeof handler !== 'function') {
      throw badArgument(`on(event, handler): the event is one of ${EVENTS.join(', ')}, the handler a function.`);
    }
    return this.#events.on(event, handler);
  }

  isOpen(): boolean {
    return this.#open;
  }

  getUnreadCount(): number {
    return this.#unread;
  }

  getIdentityState(): IdentityState {
    const [userId, status, verified, tokenExpiresAt] = [this.#tokens.userId, this.#tokens.status, this.#verified, this.#tokens.tokenExpiresAt];
    const last = this.#state;
    if (last && last.userId === userId && last.status === status && last.verified === verified && last.tokenExpiresAt === tokenExpiresAt) {
      return last;
    }
    return (this.#state = Object.freeze({ userId, status, verified, tokenExpiresAt }));
  }

  shutdown(): void {
    this.#end(true);
  }

  destroy(): void {
    this.#end(false);
  }

  // ── internals ────────────────────────────────────────────────────────────

  /**
   * shutdown() (a logout) and destroy() (a teardown, e.g. a React unmount): both stop the
   * client, cut short its calls with `shutdown` and remove the UI; only a logout forgets the
   * visitor id, so after destroy() the next client continues the visitor's conversation.
   */
  #end(logout: boolean): void {
    if (this.#done) return;
    this.#done = true;
    this.#holdEvents = true;
    this.#switchUser(null, shutdownError());
    this.#holdEvents = false;
    this.#emitState();
    if (logout) this.#visitor.reset();
    this.#coordinator?.close();
    this.#tokens.coordinate(null);
    this.#widget?.destroy();
    this.#widget = null;
    this.#events.clear();
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

  #assertAlive(): void {
    if (this.#done) throw shutdownError();
  }

  #show(open: boolean): void {
    this.#assertAlive();
    this.#setOpen(open);
    this.#widget?.[open ? 'open' : 'close']();
  }

  /** The panel's state, whoever changed it (the app, or the user in the widget); opening reads everything. */
  #setOpen(open: boolean): void {
    if (this.#done || open === this.#open) return;
    this.#open = open;
    this.#events.emit(open ? 'open' : 'close', undefined);
    if (open && this.#unread) this.#events.emit('unread', (this.#unread = 0));
  }

  /**
   * Any failure as a reported HaloError. Once shut down, a call cut short by it rejects
   * with `shutdown` (T5), which is not reported: the app asked for it.
   */
  #fail(error: unknown): HaloError {
    const haloError = !isHaloError(error)
      ? new HaloError('server_error', 'Unexpected error in the Halo SDK.', { cause: error })
      : this.#done && error.code === 'identity_changed'
        ? shutdownError()
        : error;
    this.#report(haloError);
    return haloError;
  }

  /** onError and the `error` event, once per error; never for `shutdown`. */
  #report(error: HaloError): void {
    if (error.code === 'shutdown' || this.#reported.has(error)) return;
    this.#reported.add(error);
    if (this.#starting) queueMicrotask(() => this.#events.emit('error', error));
    else this.#events.emit('error', error);
  }

  #emitState(): void {
    if (this.#holdEvents) return;
    const state = this.getIdentityState();
    if (state === this.#lastState) return;
    this.#lastState = state;
    this.#events.emit('identity', state);
  }

  /** A user switch, or `null` on shutdown: what belonged to the previous user goes (T9). */
  #switchUser(userId: string | null, queued: HaloError): void {
    this.#conversationId = null;
    this.#verified = null;
    this.#tokens.setUser(userId);
    this.#outbox.drain((item) => item.reject(queued));
  }

  /** SPEC T11: once per client and user, tell the developer the user will be "Anonymous". */
  #warnIfAnonymous(): void {
    const userId = this.#tokens.userId;
    if (!userId || this.#warnedAnonymous.has(userId)) return;
    if (this.#traits.name || this.#traits.email || this.#tokens.tokenNamesUser) return;
    this.#warnedAnonymous.add(userId);
    console.warn(
      `[halo] user "${userId}" has no name or email trait and will show as "Anonymous". Pass userTraits: { name, email }.`,
    );
  }

  /** Undefined values are left out by JSON.stringify. */
  #identityBody(use: TokenUse): Record<string, unknown> {
    const userId = this.#tokens.userId;
    return userId === null
      ? { widget_key: this.#options.widgetKey, visitor_id: this.#visitor.get() }
      : { widget_key: this.#options.widgetKey, user_id: userId, user_token: use.token ?? undefined };
  }

  /**
   * One call with its identity: the token of T1/T2, one retry after a 403 (T4), and the
   * retries of transient failures (network, 502/503/504, 429 with Retry-After).
   */
  async #call(call: SdkCall, extra: Record<string, unknown>): Promise<Record<string, unknown>> {
    const generation = this.#tokens.generation;
    let use = await this.#tokens.tokenForCall();
    let identityRetried = false;
    for (let attempt = 1; ; attempt++) {
      if (this.#done) throw shutdownError();
      if (generation !== this.#tokens.generation) throw identityChanged();
      let result;
      try {
        await waitForNetwork();
        result = await postCall(this.#options.fetch, this.#options.apiBase, call, { ...this.#identityBody(use), ...extra }, this.#clock);
      } catch (error) {
        const wait = isHaloError(error) ? deliveryDelay(error, attempt, this.#options.retry) : null;
        if (wait === null) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      if (result.ok) {
        if (generation === this.#tokens.generation) {
          this.#tokens.confirmed();
          this.#setVerified(result.data, result.verified);
        }
        return result.data;
      }
      if (generation === this.#tokens.generation) this.#setVerified({}, result.verified);
      if (this.#tokens.userId === null) {
        throw new HaloError('invalid_request', `Visitor refused (${result.reason}).`, { status: 403, reason: result.reason });
      }
      use = await this.#tokens.recover(use, result.reason, identityRetried);
      identityRetried = true;
    }
  }

  #setVerified(data: Record<string, unknown>, header: boolean | null): void {
    const identity = data.identity as { verified?: unknown } | undefined;
    const verified = typeof identity?.verified === 'boolean' ? identity.verified : header;
    if (verified === null || verified === this.#verified) return;
    this.#verified = verified;
    this.#emitState();
  }

  async #identifyCall(): Promise<void> {
    const generation = this.#tokens.generation;
    await this.#call('identify', { user_traits: this.#traits });
    if (generation !== this.#tokens.generation) throw identityChanged();
  }

  /** Delivers the head of the outbox; parks it while the identity is expired (T5). */
  async #deliver(item: Outgoing): Promise<Delivery> {
    for (;;) {
      const stale = this.#done ? shutdownError() : item.generation !== this.#tokens.generation ? identityChanged() : null;
      if (stale) {
        item.reject(stale);
        return 'settled';
      }
      try {
        item.resolve(await this.#chat(item));
      } catch (error) {
        const haloError = this.#fail(error);
        if (haloError.code === 'identity_expired' && item.generation === this.#tokens.generation && !this.#done) {
          if (this.#tokens.status === 'expired') return 'parked';
          // Recovered while this attempt failed: deliver again right away.
          continue;
        }
        item.reject(haloError);
      }
      return 'settled';
    }
  }

  async #chat(item: Outgoing): Promise<ChatMessage> {
    const body: Record<string, unknown> = { message: item.text, client_message_id: item.clientMessageId, user_traits: this.#traits };
    if (this.#conversationId) body.conversation_id = this.#conversationId;
    const data = await this.#call('chat', body);
    const { message: reply, conversation_id: conversationId } = data;
    if (!isChatMessage(reply) || typeof conversationId !== 'string') throw unreadable('chat');
    if (item.generation === this.#tokens.generation && !this.#done) {
      this.#conversationId = conversationId;
      this.#events.emit('message', {
        id: item.clientMessageId,
        conversation_id: conversationId,
        role: 'user',
        text: item.text,
        created_at: new Date().toISOString(),
      });
      this.#events.emit('message', reply);
    }
    return reply;
  }

  #mountWidget(): void {
    if (typeof document === 'undefined') {
      if (!warnedNoDom) console.warn('[halo] `launcher: true` needs a browser: no launcher is rendered here (server-side rendering, Node).');
      warnedNoDom = true;
      return;
    }
    import('../widget/widget.js').then(
      ({ mountWidget }) => {
        if (this.#done) return;
        const widget = mountWidget(this, {
          theme: this.#options.theme,
          send: (text, id) => this.#send(text, id),
          messageId: randomId,
          toggled: (open) => this.#setOpen(open),
        });
        this.#widget = widget;
        if (this.#open) widget.open();
      },
      (cause: unknown) => this.#report(new HaloError('network_error', 'The chat launcher could not be loaded.', { cause })),
    );
  }
}

/** Creates an independent chat client (SPEC §3). Throws `secret_exposed` / `invalid_options`. */
export function createHalo(options: HaloOptions): HaloClient {
  return new Client(resolveOptions(options));
}
