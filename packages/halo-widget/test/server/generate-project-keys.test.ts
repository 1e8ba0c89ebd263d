import { describe, expect, it } from 'vitest';
import { generateProjectKeys } from '../../src/server/index.js';

describe('generateProjectKeys', () => {
  it('makes an ab_live_ widget key and an ha_secret_ secret of at least 256 random bits', () => {
    const { widgetKey, identitySecret } = generateProjectKeys();
    expect(widgetKey).toMatch(/^ab_live_[A-Za-z0-9_-]{16,}$/);
    expect(identitySecret).toMatch(/^ha_secret_[A-Za-z0-9_-]{43,}$/);
    expect(Buffer.from(identitySecret.slice('ha_secret_'.length), 'base64url').length).toBeGreaterThanOrEqual(32);
  });

  it('never repeats', () => {
    const secrets = new Set(Array.from({ length: 200 }, () => generateProjectKeys().identitySecret));
    expect(secrets.size).toBe(200);
  });
});
