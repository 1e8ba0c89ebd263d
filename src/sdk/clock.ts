/**
 * The server's clock as seen through the `Date` header of API responses (SPEC T7), so a
 * client whose clock is off by an hour neither refreshes in a loop nor trusts a dead token.
 */
export class ServerClock {
  #offsetMs: number | null = null;

  /** Records the server's time from a `Date` header value. */
  observe(dateHeader: string | null): void {
    if (!dateHeader) return;
    const serverMs = Date.parse(dateHeader);
    if (Number.isNaN(serverMs)) return;
    // The header has a resolution of one second; take the middle of that second.
    this.#offsetMs = serverMs + 500 - Date.now();
  }

  /** Whether a `Date` header has been seen yet. */
  get known(): boolean {
    return this.#offsetMs !== null;
  }

  /** The estimated server time, in epoch seconds. */
  nowSeconds(): number {
    return (Date.now() + (this.#offsetMs ?? 0)) / 1000;
  }
}
