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

/** The client's outgoing messages; see {@link createOutbox}. */
export interface Outbox<T> {
  /** The pending messages, the same frozen array until the list changes. */
  list(): readonly PendingMessage[];
  /** Whether a message with this id waits here. */
  has(clientMessageId: string): boolean;
  /** Queues a message; throws `identity_expired` when the expired queue is full. */
  push(item: T): void;
  /** Tries the head now instead of at its scheduled time (online, visible, a token arrived). */
  resume(): void;
  /**
   * Cancels a pending message: one that waits is settled at once; one on the wire when its
   * attempt ends without storing it. False when no pending message has that id.
   */
  cancel(clientMessageId: string): boolean;
  /** Removes every waiting message (not the one on the wire) and hands it to `settle`. */
  drain(settle: (item: T) => void): void;
  /** Recomputes the pending list (also when only the identity changed); announces a change. */
  update(): void;
}

interface Entry<T> {
  item: T;
  state: PendingState;
  attempts: number;
  nextAttemptAt: number | null;
  cancelled?: boolean;
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
 * listener while nothing waits (an idle page costs nothing). A closure, not a class: its
 * state then minifies to short names (the core's size budget).
 */
export function createOutbox<T extends { clientMessageId: string; text: string }>(host: OutboxHost<T>): Outbox<T> {
  let entries: Entry<T>[] = [];
  let running = false;
  /** pump() was called while running: look again once the run stops (a token may have arrived). */
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastTry = -Infinity;
  let snapshot: readonly PendingMessage[] = [];
  let snapshotKey = '[]';
  let listening = false;

  const find = (id: string) => entries.find((e) => e.item.clientMessageId === id && !e.cancelled);

  const update = (): void => {
    const expired = host.expiredSince() !== null;
    const list = entries.map(({ item, state, attempts, nextAttemptAt }) =>
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
    if (key === snapshotKey) return;
    snapshotKey = key;
    snapshot = Object.freeze(list);
    host.changed(snapshot);
  };

  const onWake = (): void => {
    if (typeof document === 'undefined' || document.visibilityState !== 'hidden') resume();
  };

  /** `online` and the tab becoming visible end a wait at once (browsers only). */
  const listen = (on: boolean): void => {
    if (on === listening || typeof window === 'undefined' || typeof window.addEventListener !== 'function') return;
    listening = on;
    const method = on ? 'addEventListener' : 'removeEventListener';
    window[method]('online', onWake);
    if (typeof document !== 'undefined') document[method]('visibilitychange', onWake);
  };

  /** Nothing waits: no timer, no listener. */
  const idle = (): void => {
    clearTimeout(timer);
    if (entries.length === 0) listen(false);
  };

  const remove = (entry: Entry<T>): void => {
    entries = entries.filter((e) => e !== entry);
    idle();
    update();
  };

  const drop = (entry: Entry<T>): void => {
    remove(entry);
    host.cancelled(entry.item, entry.attempts > 0);
  };

  /** Sleeps until `ms` from now (or, with `null`, until a wake-up event). */
  const wait = (head: Entry<T>, ms: number | null): void => {
    if (head.state !== 'held') head.state = 'retrying';
    update();
    clearTimeout(timer);
    if (ms !== null) timer = setTimeout(pump, ms);
    listen(true);
  };

  /** The identity expired: getUserToken again when the 30-s rule allows, then wait for its token. */
  const hold = (head: Entry<T>, now: number): void => {
    head.state = 'held';
    head.nextAttemptAt = null;
    if (host.refreshable()) {
      const due = Math.max(host.expiredSince()!, lastTry) + QUEUE_RETRY_MS;
      if (now >= due) {
        lastTry = now;
        host.retryToken();
      }
      head.nextAttemptAt = Math.max(due, lastTry + QUEUE_RETRY_MS);
    }
    wait(head, head.nextAttemptAt && head.nextAttemptAt - now);
  };

  const run = async (): Promise<void> => {
    try {
      for (let head = entries[0]; head; head = entries[0]) {
        const now = host.now();
        if (host.expiredSince() !== null) return hold(head, now);
        if (isOffline()) return wait(head, null);
        if (head.nextAttemptAt !== null && head.nextAttemptAt > now) return wait(head, head.nextAttemptAt - now);
        head.state = 'sending';
        head.attempts++;
        head.nextAttemptAt = null;
        update();
        const outcome = await host.deliver(head.item);
        if (outcome === 'settled') remove(head);
        else if (head.cancelled) drop(head);
        else if (outcome === 'parked') head.state = 'held';
        else {
          head.state = 'retrying';
          head.nextAttemptAt = host.now() + outcome.retryInMs;
          update();
        }
      }
      idle();
    } finally {
      running = false;
      if (again) pump();
    }
  };

  /** Delivers what is due, unless already at it. */
  function pump(): void {
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = true;
    again = false;
    void run();
  }

  function resume(): void {
    const head = entries[0];
    if (head && head.state !== 'sending') head.nextAttemptAt = null;
    pump();
  }

  return {
    list: () => snapshot,
    has: (id) => !!find(id),
    push(item) {
      if (host.expiredSince() !== null && entries.length >= MAX_QUEUED) throw queueFull(MAX_QUEUED);
      entries.push({ item, state: 'queued', attempts: 0, nextAttemptAt: null });
      update();
      pump();
    },
    resume,
    cancel(id) {
      const entry = find(id);
      if (!entry) return false;
      entry.cancelled = true;
      if (entry.state !== 'sending') {
        drop(entry);
        // The head may have changed: the next message goes (or keeps its schedule).
        if (entries.length > 0) pump();
      }
      return true;
    },
    drain(settle) {
      const waiting = entries.filter((entry) => entry.state !== 'sending');
      entries = entries.filter((entry) => entry.state === 'sending');
      lastTry = -Infinity;
      if (!running) idle();
      update();
      waiting.forEach((entry) => settle(entry.item));
    },
    update,
  };
}
