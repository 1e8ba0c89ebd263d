import type { ChatMessage, HaloClient, HaloEventMap, HaloEventName, HistoryOptions, HistoryPage, IdentityState } from '../../src/types.js';

interface Deferred<T> {
  text: string;
  clientMessageId?: string;
  /** What a history() call asked for. */
  options?: HistoryOptions | undefined;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A HaloClient whose calls the test settles by hand, and whose events the test emits. */
export class FakeClient implements HaloClient {
  state: IdentityState = { userId: 'u1', status: 'identified', verified: true, tokenExpiresAt: null };
  sent: Array<Deferred<ChatMessage>> = [];
  historyCalls: Array<Deferred<ChatMessage[]>> = [];
  handlers = new Map<HaloEventName, Set<(payload: never) => void>>();

  identify = async (): Promise<void> => {};
  open = (): void => {};
  close = (): void => {};
  shutdown = (): void => {};
  getPendingMessages = () => [];
  cancel = (): boolean => false;
  destroy = (): void => {};
  isOpen = (): boolean => false;
  getUnreadCount = (): number => 0;

  sendMessage(text: string): Promise<ChatMessage> {
    return this.send(text, `fake_${this.sent.length}`);
  }

  messageId = (): string => `fake_${++this.ids}`;
  ids = 0;

  /** What the SDK hands the widget as `send`: sendMessage under a given client_message_id. */
  send = (text: string, clientMessageId: string): Promise<ChatMessage> =>
    new Promise((resolve, reject) => this.sent.push({ text, clientMessageId, resolve, reject }));

  /** Settled with a plain array (no older page) or one carrying `hasMore`. */
  history(options?: HistoryOptions): Promise<HistoryPage> {
    return new Promise<ChatMessage[]>((resolve, reject) => this.historyCalls.push({ text: '', options, resolve, reject })).then(
      (messages) => Object.assign(messages, { hasMore: (messages as Partial<HistoryPage>).hasMore ?? false }),
    );
  }

  on<E extends HaloEventName>(event: E, handler: (payload: HaloEventMap[E]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as (payload: never) => void);
    return () => set.delete(handler as (payload: never) => void);
  }

  emit<E extends HaloEventName>(event: E, payload: HaloEventMap[E]): void {
    for (const handler of this.handlers.get(event) ?? []) (handler as (p: HaloEventMap[E]) => void)(payload);
  }

  setIdentity(patch: Partial<IdentityState>): void {
    this.state = { ...this.state, ...patch };
    this.emit('identity', this.state);
  }

  getIdentityState(): IdentityState {
    return this.state;
  }

  listenerCount(): number {
    return [...this.handlers.values()].reduce((n, set) => n + set.size, 0);
  }
}

let nextId = 0;

/** A ChatMessage as the API returns it. */
export function message(role: ChatMessage['role'], text: string, id = `m${++nextId}`): ChatMessage {
  return { id, conversation_id: 'c1', role, text, created_at: new Date(0).toISOString() };
}
