import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/server/duration.js';

describe('parseDuration', () => {
  it('reads seconds and spans', () => {
    expect(parseDuration(90)).toBe(90);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('24h')).toBe(86_400);
    expect(parseDuration('7d')).toBe(604_800);
  });

  it('gives null for anything else', () => {
    for (const bad of ['', '24', '1w', '-1h', '0h', 0, -5, Infinity, null, {}]) expect(parseDuration(bad)).toBeNull();
  });
});
