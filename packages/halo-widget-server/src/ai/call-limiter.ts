/** Options of {@link createCallLimiter}. */
export interface CallLimiterOptions {
  /** The most calls in any window. */
  limit: number;
  /**
   * The window's length in milliseconds.
   * @default 60_000
   */
  windowMs?: number;
  /**
   * The clock.
   * @default Date.now
   */
  now?: () => number;
}

/** Bounds a project's model calls per minute (a sliding window), so one busy site cannot run up the bill. */
export interface CallLimiter {
  /** Takes one call if the window has room; false (and nothing taken) when it is full. */
  tryTake(): boolean;
  /** Milliseconds until a call would be allowed (0: now). */
  waitMs(): number;
}

/** A {@link CallLimiter}. It holds at most `limit` timestamps. */
export function createCallLimiter(options: CallLimiterOptions): CallLimiter {
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  const calls: number[] = [];
  const expire = (at: number): void => {
    while (calls.length && calls[0]! <= at - windowMs) calls.shift();
  };
  return {
    tryTake() {
      const at = now();
      expire(at);
      if (calls.length >= options.limit) return false;
      calls.push(at);
      return true;
    },
    waitMs() {
      const at = now();
      expire(at);
      return calls.length < options.limit ? 0 : calls[0]! + windowMs - at;
    },
  };
}
