import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/limits/rate-limiter.js';

describe('createRateLimiter', () => {
  it('lets a burst through, then answers with the seconds until the next token', () => {
    const limiter = createRateLimiter({ burst: 3, perSecond: 0.5 });
    const t = 1_000_000;
    expect([1, 2, 3].map(() => limiter.take('k', t).ok)).toEqual([true, true, true]);
    expect(limiter.take('k', t)).toEqual({ ok: false, retryAfterSeconds: 2 });
  });

  it('refills at the configured rate', () => {
    const limiter = createRateLimiter({ burst: 1, perSecond: 2 });
    expect(limiter.take('k', 0).ok).toBe(true);
    expect(limiter.take('k', 100).ok).toBe(false);
    expect(limiter.take('k', 600).ok).toBe(true);
  });

  it('keeps keys apart', () => {
    const limiter = createRateLimiter({ burst: 1, perSecond: 1 });
    expect(limiter.take('alice', 0).ok).toBe(true);
    expect(limiter.take('bob', 0).ok).toBe(true);
    expect(limiter.take('alice', 0).ok).toBe(false);
  });

  it('holds at most maxKeys buckets, dropping the least recently used', () => {
    const limiter = createRateLimiter({ burst: 1, perSecond: 0.001, maxKeys: 2 });
    limiter.take('a', 0);
    limiter.take('b', 0);
    limiter.take('a', 1);
    limiter.take('c', 2); // evicts b, the least recently used
    expect(limiter.take('a', 3).ok).toBe(false); // still remembered: empty
    expect(limiter.take('b', 4).ok).toBe(true); // forgotten: a fresh bucket
  });

  it('keeps a separate pool per project: a flood of new keys on one evicts nothing of another', () => {
    const limiter = createRateLimiter({ burst: 1, perSecond: 0.001, maxKeys: 10 });
    expect(limiter.take('attacker', 0, 'project-b').ok).toBe(true);
    for (let i = 0; i < 1000; i++) limiter.take(`visitor-${i}`, 1, 'project-a');
    expect(limiter.take('attacker', 2, 'project-b').ok).toBe(false);
    // The same key in another pool is another bucket.
    expect(limiter.take('attacker', 2, 'project-c').ok).toBe(true);
  });

  it('check() gives the decision take() would, without spending a token', () => {
    const limiter = createRateLimiter({ burst: 1, perSecond: 1 });
    expect(limiter.check('k', 0)).toEqual({ ok: true });
    expect(limiter.check('k', 0)).toEqual({ ok: true });
    expect(limiter.take('k', 0)).toEqual({ ok: true });
    expect(limiter.check('k', 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it('refuses nonsense settings', () => {
    expect(() => createRateLimiter({ burst: 0 })).toThrow(/burst/);
    expect(() => createRateLimiter({ perSecond: -1 })).toThrow(/perSecond/);
  });
});
