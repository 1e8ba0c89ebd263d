// refresh-within-skew, accept-until-exp and server-clock as pure functions of `now`.
import { describe, expect, it } from 'vitest';
import { ServerClock } from '../../src/sdk/clock.js';
import { isExpired, isFresh, isUsable, skewOf } from '../../src/sdk/freshness.js';

const hour = { iat: 1_000, exp: 4_600, named: false };

describe('freshness', () => {
  it('the skew is refreshSkewSeconds, capped at half the token lifetime', () => {
    expect(skewOf(hour, 300)).toBe(300);
    expect(skewOf({ iat: 1_000, exp: 1_060, named: false }, 300)).toBe(30);
    expect(skewOf({ exp: 4_600, named: false }, 300)).toBe(300);
  });

  it('a token is fresh while exp - now > skew, and one without exp is always fresh', () => {
    expect(isFresh(hour, 4_299, 300)).toBe(true);
    expect(isFresh(hour, 4_300, 300)).toBe(false);
    expect(isFresh({ named: false }, 1e12, 300)).toBe(true);
  });

  it('a token is expired once exp <= now', () => {
    expect(isExpired(hour, 4_599)).toBe(false);
    expect(isExpired(hour, 4_600)).toBe(true);
  });

  it('a sticky token is used until it expires, and only the server may call it expired before its clock is known', () => {
    const sticky = { claims: hour, sticky: true };
    expect(isUsable(sticky, 4_500, true, 300)).toBe(true);
    expect(isUsable(sticky, 4_600, true, 300)).toBe(false);
    expect(isUsable(sticky, 4_600, false, 300)).toBe(true);
    expect(isUsable({ claims: hour, sticky: false }, 4_500, true, 300)).toBe(false);
  });
});

describe('ServerClock', () => {
  it('reads time from the injected clock, corrected by the server Date header', () => {
    let now = Date.parse('2026-11-24T10:00:00Z');
    const clock = new ServerClock(() => now);
    expect(clock.known).toBe(false);
    expect(clock.nowSeconds()).toBe(now / 1000);
    clock.observe('Tue, 24 Nov 2026 11:00:00 GMT'); // the server is an hour ahead
    expect(clock.known).toBe(true);
    now += 10_000;
    expect(clock.nowSeconds()).toBe(Date.parse('2026-11-24T11:00:10.500Z') / 1000);
    clock.observe('not a date');
    expect(clock.nowSeconds()).toBe(Date.parse('2026-11-24T11:00:10.500Z') / 1000);
  });
});
