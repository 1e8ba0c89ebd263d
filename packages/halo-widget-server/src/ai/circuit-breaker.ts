/** Options of {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /**
   * Failed replies in a row that open the circuit.
   * @default 5
   */
  failureThreshold?: number;
  /**
   * Milliseconds the circuit stays open before one trial call is let through.
   * @default 30_000
   */
  cooldownMs?: number;
  /**
   * The clock.
   * @default Date.now
   */
  now?: () => number;
}

/** The state a breaker reports: `closed` (calls go through), `open` (resting), `half_open` (one trial in flight or due). */
export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * Gives a model that keeps failing a rest instead of a call per message: after
 * `failureThreshold` failures in a row it refuses calls for `cooldownMs`, then lets one trial
 * through; the trial's success closes it, its failure opens it again. One per project.
 */
export interface CircuitBreaker {
  /** Whether a call may start now; in half-open, true once only, for the trial. */
  tryAcquire(): boolean;
  /** The acquired call succeeded. */
  recordSuccess(): void;
  /** The acquired call failed. */
  recordFailure(): void;
  /** An acquired call ended without telling anything about the model (cancelled, or limited here): frees a trial slot. */
  release(): void;
  state(): CircuitState;
}

/** A {@link CircuitBreaker}. */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const threshold = options.failureThreshold ?? 5;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const now = options.now ?? Date.now;
  let failures = 0;
  let openedAt: number | null = null;
  let trialInFlight = false;

  const state = (): CircuitState => {
    if (openedAt === null) return 'closed';
    return now() - openedAt >= cooldownMs ? 'half_open' : 'open';
  };

  return {
    state,
    tryAcquire() {
      const current = state();
      if (current === 'closed') return true;
      if (current === 'open' || trialInFlight) return false;
      trialInFlight = true;
      return true;
    },
    recordSuccess() {
      failures = 0;
      openedAt = null;
      trialInFlight = false;
    },
    recordFailure() {
      failures += 1;
      // A failed trial re-opens at once; a closed circuit opens on the threshold-th failure in a row.
      if (trialInFlight || failures >= threshold) openedAt = now();
      trialInFlight = false;
    },
    release() {
      trialInFlight = false;
    },
  };
}
