import type { PendingMessage } from '../types.js';

// Pending messages kept in localStorage per widget key and user, so a re-login redirect or a
// reload loses nothing typed: `[clientMessageId, text]` pairs only, never a token. Terse: it
// is in the production core (its size budget).

const keyOf = (widgetKey: string, userId: string) => `halo:held:${widgetKey}:${userId}`;

/** Keeps `userId`'s pending messages; an empty list removes the entry. */
export function keepPending(widgetKey: string, userId: string, list: readonly PendingMessage[]): void {
  try {
    if (list.length) localStorage.setItem(keyOf(widgetKey, userId), JSON.stringify(list.map((m) => [m.clientMessageId, m.text])));
    else localStorage.removeItem(keyOf(widgetKey, userId));
  } catch (error) {
    // No storage (Node, a sandboxed frame) or a full one: the messages still wait in memory.
    void error;
  }
}

/** Takes (reads and removes) the `[clientMessageId, text]` pairs kept for `userId`. */
export function takeKept(widgetKey: string, userId: string): unknown[][] {
  try {
    const list = JSON.parse(localStorage.getItem(keyOf(widgetKey, userId)) ?? '[]') as unknown[][];
    localStorage.removeItem(keyOf(widgetKey, userId));
    return list;
  } catch (error) {
    // No storage, or an entry edited by hand: nothing to restore.
    void error;
    return [];
  }
}
