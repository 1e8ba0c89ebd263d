import { randomId } from './random-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch (error) {
    // Sandboxed iframes and some privacy modes throw on access: the id then lives in memory.
    void error;
    return null;
  }
}

/**
 * The anonymous visitor's id (SPEC §3): random, made here, kept in `localStorage` under
 * `halo:<widgetKey>:visitor` (in memory where storage is unavailable), replaced on shutdown.
 * Read lazily, so creating a client on the server touches no storage.
 */
export class VisitorId {
  readonly #key: string;
  #value: string | null = null;

  constructor(widgetKey: string) {
    this.#key = `halo:${widgetKey}:visitor`;
  }

  get(): string {
    if (this.#value) return this.#value;
    const store = storage();
    let value: string | null = null;
    try {
      value = store?.getItem(this.#key) ?? null;
      if (!value || !UUID.test(value)) {
        value = randomId();
        store?.setItem(this.#key, value);
      }
    } catch (error) {
      // A full or blocked storage: keep the id in memory for this page.
      void error;
      value ??= randomId();
    }
    this.#value = value;
    return value;
  }

  /** Forgets the id (logout): the next visitor gets a new one. */
  reset(): void {
    this.#value = null;
    try {
      storage()?.removeItem(this.#key);
    } catch (error) {
      // Nothing stored that we could remove; the in-memory id is gone already.
      void error;
    }
  }
}
