import { useCallback, useRef, useSyncExternalStore } from 'react';
import type { HaloClient, HaloEventName } from '../index.js';
import { ended, listen } from './listen.js';
import { useHalo } from './use-halo.js';

const none = (): void => undefined;

/**
 * A value of the provider's client as React state: re-read when one of `events` fires
 * (a module-level array, so the subscription is stable).
 * `read` must return the same value until it changes (the client caches its snapshots),
 * or React would re-render forever. Without a client (server, first render, disabled) it is
 * `fallback`, which is also the server snapshot, so hydration matches. A client that has
 * ended is neither read nor subscribed to: the hook keeps the last value it read.
 */
export function useClientStore<T>(events: readonly HaloEventName[], read: (client: HaloClient) => T, fallback: T): T {
  const client = useHalo();
  const last = useRef(fallback);
  const subscribe = useCallback(
    (onChange: () => void) => {
      if (!client) return none;
      const offs = events.map((event) => listen(client, event, onChange));
      return () => offs.forEach((off) => off());
    },
    [client, events],
  );
  return useSyncExternalStore(
    subscribe,
    () => (client ? (ended.has(client) ? last.current : (last.current = read(client))) : fallback),
    () => fallback,
  );
}
