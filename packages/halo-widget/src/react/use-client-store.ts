import { useCallback, useSyncExternalStore } from 'react';
import type { HaloClient, HaloEventName } from '../index.js';
import { useHalo } from './use-halo.js';

const none = (): void => undefined;

/**
 * A value of the provider's client as React state: re-read when one of `events` fires
 * (a module-level array, so the subscription is stable).
 * `read` must return the same value until it changes (the client caches its snapshots),
 * or React would re-render forever. Without a client (server, first render) it is `fallback`,
 * which is also the server snapshot, so hydration matches.
 */
export function useClientStore<T>(events: readonly HaloEventName[], read: (client: HaloClient) => T, fallback: T): T {
  const client = useHalo();
  const subscribe = useCallback(
    (onChange: () => void) => {
      if (!client) return none;
      const offs = events.map((event) => client.on(event, onChange));
      return () => offs.forEach((off) => off());
    },
    [client, events],
  );
  return useSyncExternalStore(
    subscribe,
    () => (client ? read(client) : fallback),
    () => fallback,
  );
}
