import { useEffect, useInsertionEffect, useRef } from 'react';
import type { HaloEventMap, HaloEventName } from '../index.js';
import { listen } from './listen.js';
import { useHalo } from './use-halo.js';

/**
 * Subscribes `handler` to a client event for the component's lifetime. The handler is kept
 * in a ref: an inline arrow function does not resubscribe on every render, and the latest
 * one (with the latest props) is always the one called. A client that has ended is not
 * subscribed to.
 */
export function useHaloEvent<E extends HaloEventName>(event: E, handler: (payload: HaloEventMap[E]) => void): void {
  const client = useHalo();
  const latest = useRef(handler);
  // Before any effect of this commit runs, so an event fired from an effect sees this render's handler.
  useInsertionEffect(() => {
    latest.current = handler;
  });
  useEffect(() => (client ? listen(client, event, (payload) => latest.current(payload)) : undefined), [client, event]);
}
