import { queueFull } from '../errors.js';
import type { PendingMessage, PendingState } from '../types.js';
import { isOffline } from './delivery.js';

/** What became of one delivery attempt: done, held (identity expired), or try again after `ms`. */
export type Delivery = 'settled' | 'parked' | { retryInMs: number };

/** What the outbox needs from its client. */
export interface OutboxHost<T> {
  /** Delivers one message (never throws): settled it, parked it, or asks for another try. */
  deliver(item: T): Promise<Delivery>;
  /** Settles a message the app cancelled; `sent`: an attempt of it reached the network. */
  cancelled(item: T, sent: boolean): void;
  /** The local time the expired episode began, or `null` while the identity is not expired. */
  expiredSince(): number | null;
  /** Whether getUserToken exists: without it only identify() ends the episode, so nothing is scheduled. */
  refreshable(): boolean;
  /** Asks getUserToken again (it reports its own failure). */
  retryToken(): void;
  /** The local clock, in epoch milliseconds. */
  now(): number;
  /** The list of pending messages changed. */
  changed(list: readonly PendingMessage[]): void;
}

interface Entry<T> {
  item: T;
  state: PendingState;
  attempts: number;
  nextAttemptAt: number | null;
  cancelled: boolean;
}

/** nothing-lost: at most this many messages wait while the identity is expired. */
export const MAX_QUEUED = 100;
/** While expired, getUserToken is tried again at most this often. */
export const QUEUE_RETRY_MS = 30_000;

/**
 * The client's outgoing messages (delivered-exactly-once, nothing-lost): one at a time in
 * call order, the head retried until it is stored before the next one goes; a transient
 * failure waits the delay its delivery asked for (backoff, `Retry-After`), cut short by
 * `online` and by the tab becoming visible; a held message (identity expired) tries
 * getUserToken again on its own, at most once per {@link QUEUE_RETRY_MS}, counting the
 * refresh that declared the episode as the first try. At most one timer, and none and no
 * listener while nothing waits (an idle page costs nothing).
 */
export class Outbox<T extends { clientMessageId: string; text: string }> {
  #entries: Entry<T>[] = [];
  #running = false;
  /** pump() was called while running: look again once the run stops (a token may have arrived). */
  #again = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastTry = -Infinity;
  #snapshot: readonly PendingMessage[] = [];
  #snapshotKey = '[]';
  #listening = false;
  readonly #host: OutboxHost<T>;
  readonly #onWake = (): void => {
    if (typeof document === 'undefined' || document.visibilityState !== 'hidden') this.resume();
  };

  constructor(host: OutboxHost<T>) {
    this.#host = host;
  }

  /** The pending messages, the same array until the list changes. */
  get list(): readonly PendingMessage[] {
    return this.#snapshot;
  }

  /** Whether a message with this id waits here. */
  has(clientMessageId: string): boolean {
    return this.#entries.some((entry) => entry.item.clientMessageId === clientMessageId);
  }

  /** Queues a message; throws `identity_expired` when the expired queue is full. */
  push(item: T): void {
    if (this.#host.expiredSince() !== null && this.#entries.length >= MAX_QUEUED) throw queueFull(MAX_QUEUED);
    this.#entries.push({ item, state: 'queued', attempts: 0, nextAttemptAt: null, cancelled: false });
    this.update();
    this.pump();
  }

  /** Delivers what is due, unless already at it. */
  pump(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#clearTimer();
    this.#running = true;
    this.#again = false;
    void this.#run();
  }

  /** Tries the head now instead of at its scheduled time (online, visible, a token arrived). */
  resume(): void {
    const head = this.#entries[0];
    if (head && head.state !== 'sending') head.nextAttemptAt = null;
    this.pump();
  }

  /**
   * Cancels a pending message: one that waits is settled at once; one on the wire when its
   * attempt ends without storing it. False when no pending message has that id.
   */
  cancel(clientMessageId: string): boolean {
    const entry = this.#entries.find((e) => e.item.clientMessageId === clientMessageId && !e.cancelled);
    if (!entry) return false;
    entry.cancelled = true;
    if (entry.state !== 'sending') {
      this.#drop(entry);
      // The head may have changed: the next message goes (or keeps its schedule).
      if (this.#entries.length > 0) this.pump();
    }
    return true;
  }

  /** Removes every waiting message (not the one on the wire) and hands it to `settle`. */
  drain(settle: (item: T) => void): void {
    const waiting = this.#entries.filter((entry) => entry.state !== 'sending');
    this.#entries = this.#entries.filter((entry) => entry.state === 'sending');
    this.#lastTry = -Infinity;
    if (!this.#running) this.#idle();
    this.update();
    waiting.forEach((entry) => settle(entry.item));
  }

  /** Recomputes the pending list (also when only the identity changed) and announces a change. */
  update(): void {
    const expired = this.#host.expiredSince() !== null;
    const list = this.#entries.map(({ item, state, attempts, nextAttemptAt }) =>
      Object.freeze({
        clientMessageId: item.clientMessageId,
        text: item.text,
        // Behind the head a message only waits: for its turn, or for the identity.
        state: state === 'queued' && expired ? 'held' : state,
        attempts,
        nextAttemptAt,
      }),
    );
    const key = JSON.stringify(list);
    if (key === this.#snapshotKey) return;
    this.#snapshotKey = key;
    this.#snapshot = Object.freeze(list);
    this.#host.changed(this.#snapshot);
  }

  async #run(): Promise<void> {
    try {
      for (let head = this.#entries[0]; head; head = this.#entries[0]) {
        const now = this.#host.now();
        if (this.#host.expiredSince() !== null) return this.#hold(head, now);
        if (isOffline()) return this.#wait(head, null);
        if (head.nextAttemptAt !== null && head.nextAttemptAt > now) return this.#wait(head, head.nextAttemptAt - now);
        head.state = 'sending';
        head.attempts++;
        head.nextAttemptAt = null;
        this.update();
        const outcome = await this.#host.deliver(head.item);
        if (outcome === 'settled') {
          this.#remove(head);
        } else if (head.cancelled) {
          this.#drop(head);
        } else if (outcome === 'parked') {
          head.state = 'held';
        } else {
          head.state = 'retrying';
          head.nextAttemptAt = this.#host.now() + outcome.retryInMs;
          this.update();
        }
      }
      this.#idle();
    } finally {
      this.#running = false;
      if (this.#again) this.pump();
    }
  }

  /** The identity expired: getUserToken again when the 30-s rule allows, then wait for its token. */
  #hold(head: Entry<T>, now: number): void {
    head.state = 'held';
    if (!this.#host.refreshable()) {
      head.nextAttemptAt = null;
      return this.#wait(head, null);
    }
    const due = Math.max(this.#host.expiredSince()!, this.#lastTry) + QUEUE_RETRY_MS;
    if (now >= due) {
      this.#lastTry = now;
      this.#host.retryToken();
    }
    head.nextAttemptAt = Math.max(due, this.#lastTry + QUEUE_RETRY_MS);
    this.#wait(head, head.nextAttemptAt === null ? null : head.nextAttemptAt - now);
  }

  /** Sleeps until `ms` from now (or, with `null`, until a wake-up event). */
  #wait(head: Entry<T>, ms: number | null): void {
    if (head.state !== 'held') head.state = 'retrying';
    this.update();
    this.#clearTimer();
    if (ms !== null) this.#timer = setTimeout(() => this.pump(), ms);
    this.#listen(true);
  }

  #remove(entry: Entry<T>): void {
    this.#entries = this.#entries.filter((e) => e !== entry);
    if (this.#entries.length === 0) this.#idle();
    this.update();
  }

  #drop(entry: Entry<T>): void {
    this.#remove(entry);
    this.#host.cancelled(entry.item, entry.attempts > 0);
  }

  /** Nothing waits: no timer, no listener. */
  #idle(): void {
    this.#clearTimer();
    if (this.#entries.length === 0) this.#listen(false);
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** `online` and the tab becoming visible end a wait at once (browsers only). */
  #listen(on: boolean): void {
    if (on === this.#listening || typeof window === 'undefined' || typeof window.addEventListener !== 'function') return;
    this.#listening = on;
    const method = on ? 'addEventListener' : 'removeEventListener';
    window[method]('online', this.#onWake);
    if (typeof document !== 'undefined') document[method]('visibilitychange', this.#onWake);
  }
}
