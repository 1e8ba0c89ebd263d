/**
 * The server's clock as seen through the `Date` header of API responses (server-clock), so
 * a client whose clock is off by an hour neither refreshes in a loop nor trusts a dead token.
 * `now` is injectable (as auth0-spa-js injects `nowProvider`) so the token rules can be
 * tested as pure functions of time.
 */
export class ServerClock {
  #offsetMs: number | null = null;
  readonly #now: () => number;

  // Read per call, not captured: tests and polyfills may replace Date.now later.
  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
  }

  /** Records the server's time from a `Date` header value. */
  observe(dateHeader: string | null): void {
    const serverMs = dateHeader ? Date.parse(dateHeader) : NaN;
    // The header has a resolution of one second; take the middle of that second.
    if (serverMs === serverMs) this.#offsetMs = serverMs + 500 - this.#now();
  }

  /** Whether a `Date` header has been seen yet. */
  get known(): boolean {
    return this.#offsetMs !== null;
  }

  /** The local clock, in epoch milliseconds (for timers that are not about tokens). */
  localMs(): number {
    return this.#now();
  }

  /** The estimated server time, in epoch seconds. */
  nowSeconds(): number {
    return (this.#now() + (this.#offsetMs ?? 0)) / 1000;
  }
}
