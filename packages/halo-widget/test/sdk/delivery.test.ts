import { describe, expect, it, vi } from 'vitest';
import { HaloError } from '../../src/errors.js';
import { deliveryDelay, isRetryable } from '../../src/sdk/delivery.js';

const policy = { attempts: 6, baseDelayMs: 300, maxDelayMs: 5000 };

describe('delivery retry policy', () => {
  it('retries network errors, 429 and 502/503/504, and never other 4xx/5xx or identity errors', () => {
    expect(isRetryable(new HaloError('network_error', 'x'))).toBe(true);
    expect(isRetryable(new HaloError('rate_limited', 'x', { status: 429 }))).toBe(true);
    for (const status of [502, 503, 504]) expect(isRetryable(new HaloError('server_error', 'x', { status }))).toBe(true);
    expect(isRetryable(new HaloError('server_error', 'x', { status: 500 }))).toBe(false);
    for (const code of ['invalid_request', 'not_found', 'invalid_widget_key', 'origin_not_allowed', 'identity_expired'] as const) {
      expect(isRetryable(new HaloError(code, 'x', { status: 400 }))).toBe(false);
    }
  });

  it('backs off exponentially with jitter between half and all of a capped ceiling', () => {
    const error = new HaloError('network_error', 'x');
    vi.spyOn(Math, 'random').mockReturnValue(0.999999);
    expect(deliveryDelay(error, 1, policy)).toBeCloseTo(300, 0);
    expect(deliveryDelay(error, 2, policy)).toBeCloseTo(600, 0);
    expect(deliveryDelay(error, 5, policy)).toBeCloseTo(4800, 0);
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(deliveryDelay(error, 5, policy)).toBe(2400);
    expect(deliveryDelay(error, 5, { ...policy, maxDelayMs: 1000 })).toBe(500);
    vi.restoreAllMocks();
  });

  it('gives up after the last attempt', () => {
    expect(deliveryDelay(new HaloError('network_error', 'x'), 6, policy)).toBeNull();
  });

  it("honours a 429's Retry-After, and gives up when it is over a minute", () => {
    expect(deliveryDelay(new HaloError('rate_limited', 'x', { retryAfter: 7 }), 1, policy)).toBe(7000);
    expect(deliveryDelay(new HaloError('rate_limited', 'x', { retryAfter: 600 }), 1, policy)).toBeNull();
  });
});
