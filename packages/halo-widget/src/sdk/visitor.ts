import { visitorKey } from './names.js';
import { randomId } from './random-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Runs `fn` on `localStorage`; `undefined` where there is none or it throws (sandboxed
 * iframes, some privacy modes, a full quota): the id then lives in memory.
 */
function withStorage<T>(fn: (store: Storage) => T): T | undefined {
  try {
    const store = globalThis.localStorage;
    return store ? fn(store) : undefined;
  } catch (error) {
    // Storage refused: the id lives in memory, which is what the caller falls back to.
    void error;
    return undefined;
  }
}

/**
 * The anonymous visitor's id ("Browser API" section of docs/protocol.md): random, made here, kept in `localStorage` under
 * `halo:<widgetKey>:visitor` (in memory where storage is unavailable), replaced on shutdown.
 * Read lazily, so creating a client on the server touches no storage.
 */
export class VisitorId {
  readonly #key: string;
  #value: string | null = null;

  constructor(widgetKey: string) {
    this.#key = visitorKey(widgetKey);
  }

  get(): string {
    if (!this.#value) {
      const stored = withStorage((store) => store.getItem(this.#key));
      const value = stored && UUID.test(stored) ? stored : randomId();
      if (value !== stored) withStorage((store) => store.setItem(this.#key, value));
      this.#value = value;
    }
    return this.#value;
  }

  /** Forgets the id (logout): the next visitor gets a new one. */
  reset(): void {
    this.#value = null;
    withStorage((store) => store.removeItem(this.#key));
  }
}
