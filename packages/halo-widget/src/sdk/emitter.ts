import type { HaloEventMap, HaloEventName } from '../types.js';

type Handler<E extends HaloEventName> = (payload: HaloEventMap[E]) => void;

/** A tiny typed event emitter; a throwing handler never breaks the SDK or other handlers. */
export class Emitter {
  #handlers = new Map<HaloEventName, Set<Handler<never>>>();

  on<E extends HaloEventName>(event: E, handler: Handler<E>): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry: Handler<E> = (payload) => handler(payload);
    set.add(entry as Handler<never>);
    return () => {
      set.delete(entry as Handler<never>);
    };
  }

  emit<E extends HaloEventName>(event: E, payload: HaloEventMap[E]): void {
    const set = this.#handlers.get(event);
    if (!set) return;
    // A copy: handlers may subscribe or unsubscribe while we iterate (re-entrant).
    for (const handler of [...set]) {
      try {
        (handler as Handler<E>)(payload);
      } catch (error) {
        console.error(`[halo] a '${event}' handler threw:`, error);
      }
    }
  }

  clear(): void {
    this.#handlers.clear();
  }
}
