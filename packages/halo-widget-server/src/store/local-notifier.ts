import type { StoreEvent, StoreNotifier } from './conversation-model.js';

/** A {@link StoreNotifier} the store itself emits on, after a write committed. */
export interface LocalNotifier extends StoreNotifier {
  /** Calls every listener with `event`; a listener that throws is reported and the others still run. */
  emit(event: StoreEvent): void;
}

/**
 * The in-process notifier of the memory and embedded stores (and the delivery end of the
 * PostgreSQL one). A listener's failure is reported through `onError`, never thrown into the
 * write that announced it: the write has committed by then.
 */
export function createLocalNotifier(
  onError: (error: unknown) => void = (error) => console.error('[halo] store event listener failed:', error),
): LocalNotifier {
  const listeners = new Set<(event: StoreEvent) => void>();
  return {
    subscribe(listener) {
      // A wrapper per subscription, so one function subscribed twice is two subscriptions.
      const entry = (event: StoreEvent) => listener(event);
      listeners.add(entry);
      return () => void listeners.delete(entry);
    },
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          onError(error);
        }
      }
    },
  };
}
