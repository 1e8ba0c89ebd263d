import { queueFull } from '../errors.js';

/** What became of one delivery attempt. */
export type Delivery = 'settled' | 'parked';

/** What the outbox needs from its client. */
export interface OutboxHost<T> {
  /** Delivers one message; `parked` when the identity expired meanwhile. */
  deliver(item: T): Promise<Delivery>;
  /** The local time the expired episode began, or `null` while the identity is not expired. */
  expiredSince(): number | null;
  /** Asks getUserToken again (the refresh reports its own failure). */
  retryToken(): void;
  /** The local clock, in epoch milliseconds. */
  now(): number;
}

/** nothing-lost: at most this many messages wait while the identity is expired. */
export const MAX_QUEUED = 100;
/** While expired, a new message tries getUserToken again at most this often. */
export const QUEUE_RETRY_MS = 30_000;

/**
 * The client's outgoing messages (nothing-lost): one at a time in call order; a message
 * whose delivery is parked (identity expired) stays at the head, so nothing overtakes it;
 * at most {@link MAX_QUEUED} wait while expired; and a message queued while expired tries
 * getUserToken again at most once per {@link QUEUE_RETRY_MS}, counting the refresh that
 * declared the episode as the first try.
 */
export class Outbox<T> {
  #queue: T[] = [];
  #current: T | null = null;
  #running = false;
  #lastTry = -Infinity;
  readonly #host: OutboxHost<T>;

  constructor(host: OutboxHost<T>) {
    this.#host = host;
  }

  /** Queues a message; throws `identity_expired` when the expired queue is full. */
  push(item: T): void {
    const since = this.#host.expiredSince();
    if (since !== null && this.#queue.length >= MAX_QUEUED) throw queueFull(MAX_QUEUED);
    this.#queue.push(item);
    if (since === null) return this.pump();
    const now = this.#host.now();
    if (now - Math.max(since, this.#lastTry) < QUEUE_RETRY_MS) return;
    this.#lastTry = now;
    this.#host.retryToken();
  }

  /** Starts delivering, unless already running or the identity is expired. */
  pump(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#run();
  }

  /** Removes every waiting message (not the one on the wire) and hands it to `settle`. */
  drain(settle: (item: T) => void): void {
    const waiting = this.#queue.filter((item) => item !== this.#current);
    this.#queue = this.#current ? [this.#current] : [];
    this.#lastTry = -Infinity;
    waiting.forEach(settle);
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0 && this.#host.expiredSince() === null) {
        const item = this.#queue[0]!;
        this.#current = item;
        const outcome = await this.#host.deliver(item);
        this.#current = null;
        if (outcome === 'parked') break;
        if (this.#queue[0] === item) this.#queue.shift();
      }
    } finally {
      this.#current = null;
      this.#running = false;
    }
  }
}
