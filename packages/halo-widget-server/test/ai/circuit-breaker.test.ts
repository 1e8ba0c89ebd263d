import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from '../../src/ai/circuit-breaker.js';

function breaker() {
  let clock = 0;
  const b = createCircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000, now: () => clock });
  return { b, advance: (ms: number) => (clock += ms) };
}

function fail(b: ReturnType<typeof createCircuitBreaker>, times: number): void {
  for (let i = 0; i < times; i += 1) {
    expect(b.tryAcquire()).toBe(true);
    b.recordFailure();
  }
}

describe('createCircuitBreaker', () => {
  it('opens after failureThreshold failures in a row and refuses calls during the cool-down', () => {
    const { b, advance } = breaker();
    fail(b, 3);
    expect(b.state()).toBe('open');
    advance(999);
    expect(b.tryAcquire()).toBe(false);
  });

  it('counts failures in a row only: a success in between starts the count again', () => {
    const { b } = breaker();
    fail(b, 2);
    b.tryAcquire();
    b.recordSuccess();
    fail(b, 2);
    expect(b.state()).toBe('closed');
  });

  it('lets one trial through after the cool-down, and none beside it', () => {
    const { b, advance } = breaker();
    fail(b, 3);
    advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
  });

  it('closes on a successful trial and opens again at once on a failed one', () => {
    const { b, advance } = breaker();
    fail(b, 3);
    advance(1_000);
    b.tryAcquire();
    b.recordFailure();
    expect(b.state()).toBe('open');
    advance(1_000);
    b.tryAcquire();
    b.recordSuccess();
    expect(b.state()).toBe('closed');
  });

  it('frees the trial slot on release(), for a call that said nothing about the model', () => {
    const { b, advance } = breaker();
    fail(b, 3);
    advance(1_000);
    b.tryAcquire();
    b.release();
    expect(b.tryAcquire()).toBe(true);
  });
});
