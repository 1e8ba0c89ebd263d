// signUserToken signs with node:crypto (so Jest's jsdom environment can load it) and must
// write, byte for byte, the token jose's SignJWT wrote before: same header, same claims in
// the same order, same time spans.
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { signUserToken } from 'halo-widget/server';

const SECRET = 'ha_secret_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

async function joseToken(claims: Record<string, unknown>, expiresIn: number | string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(typeof expiresIn === 'number' ? now + expiresIn : expiresIn)
    .sign(new TextEncoder().encode(SECRET));
}

describe('signUserToken against jose', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-05T04:00:00.500Z'));
  });
  afterEach(() => vi.useRealTimers());

  it.each([90, 0, -60, '15m', '24h', '2 hours', '1.5h', '+1w', '3 days from now', '10 mins ago', '-30s', '1y', '45 SECONDS'])(
    'writes the same token as jose for expiresIn %s',
    async (expiresIn) => {
      const claims = { user_id: 'alice', name: 'Ålice ✓', plan: 'pro', roles: ['a', 'b'], nested: { x: 1 } };
      expect(await signUserToken(claims, SECRET, { expiresIn })).toBe(await joseToken(claims, expiresIn));
    },
  );

  it('writes the same token as jose when the claims carry their own iat and exp', async () => {
    const claims = { exp: 1, user_id: 'alice', iat: 2 };
    expect(await signUserToken(claims, SECRET, { expiresIn: '5m' })).toBe(await joseToken(claims, '5m'));
  });

  it.each(['soon', '-1h ago', '1 fortnight', '', '1.h'])(
    'refuses %j as jose does, with a TypeError naming expiresIn',
    async (expiresIn) => {
      await expect(joseToken({ user_id: 'alice' }, expiresIn)).rejects.toThrow(TypeError);
      await expect(signUserToken({ user_id: 'alice' }, SECRET, { expiresIn })).rejects.toThrow(/expiresIn/);
    },
  );
});
