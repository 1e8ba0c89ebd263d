/** What became of one delivery attempt. */
export type Delivery = 'settled' | 'parked';

/**
 * The client's outgoing messages, one at a time in call order (SPEC §3). A message whose
 * delivery is parked (identity expired, T5) stays at the head, so nothing overtakes it.
 */
export class Outbox<T> {
  #queue: T[] = [];
  #current: T | null = null;
  #running = false;
  readonly #deliver: (item: T) => Promise<Delivery>;
  readonly #blocked: () => boolean;

  constructor(deliver: (item: T) => Promise<Delivery>, blocked: () => boolean) {
    this.#deliver = deliver;
    this.#blocked = blocked;
  }

  get size(): number {
    return this.#queue.length;
  }

  push(item: T): void {
    this.#queue.push(item);
    this.pump();
  }

  /** Starts delivering, unless already running or blocked. */
  pump(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#run();
  }

  /** Removes every waiting message (not the one on the wire) and hands it to `settle`. */
  drain(settle: (item: T) => void): void {
    const waiting = this.#queue.filter((item) => item !== this.#current);
    this.#queue = this.#current ? [this.#current] : [];
    waiting.forEach(settle);
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#blocked()) {
        const item = this.#queue[0]!;
        this.#current = item;
        const outcome = await this.#deliver(item);
        this.#current = null;
        if (outcome === 'parked') break;
        if (this.#queue[0] === item) this.#queue.shift();
      }
    } finally {
      this.#current = null;
      this.#running = false;
    }
  }
}
