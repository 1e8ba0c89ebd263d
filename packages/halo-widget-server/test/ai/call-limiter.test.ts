import { describe, expect, it } from 'vitest';
import { createCallLimiter } from '../../src/ai/call-limiter.js';

describe('createCallLimiter', () => {
  it('allows limit calls in a window, refuses the next, and allows again once the first leaves the window', () => {
    let clock = 0;
    const limiter = createCallLimiter({ limit: 2, windowMs: 60_000, now: () => clock });
    expect(limiter.tryTake()).toBe(true);
    clock = 10_000;
    expect(limiter.tryTake()).toBe(true);
    expect(limiter.tryTake()).toBe(false);
    expect(limiter.waitMs()).toBe(50_000);
    clock = 60_000;
    expect(limiter.tryTake()).toBe(true);
    expect(limiter.tryTake()).toBe(false);
  });

  it('takes nothing when it refuses', () => {
    let clock = 0;
    const limiter = createCallLimiter({ limit: 1, windowMs: 1_000, now: () => clock });
    limiter.tryTake();
    for (let i = 0; i < 5; i += 1) expect(limiter.tryTake()).toBe(false);
    clock = 1_000;
    expect(limiter.tryTake()).toBe(true);
  });
});
