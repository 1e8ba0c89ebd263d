// verifyUserToken: hs256-only, secret-bytes-as-written, clock-tolerance, user-id-must-match and
// trusted-claims-per-request — interop with jsonwebtoken, the attack matrix, clock tolerance, rotation.
import jwt from 'jsonwebtoken';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateProjectKeys, signUserToken, verifyUserToken } from '../../src/server/index.js';

const { identitySecret: SECRET } = generateProjectKeys();
const OTHER = generateProjectKeys().identitySecret;
const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Builds a token by hand, for headers no library would produce. */
function forge(header: Record<string, unknown>, payload: Record<string, unknown>, key = SECRET, alg = 'sha256'): string {
  const signed = `${b64(header)}.${b64(payload)}`;
  return `${signed}.${createHmac(alg, key).update(signed).digest('base64url')}`;
}

describe('verifyUserToken', () => {
  it('accepts a token signed by jsonwebtoken with the secret string (interop)', async () => {
    const token = jwt.sign({ user_id: 'alice', plan: 'pro', sub: 'x' }, SECRET, { algorithm: 'HS256', expiresIn: '1h' });
    const result = await verifyUserToken(token, SECRET, { userId: 'alice' });
    expect(result).toMatchObject({ ok: true, claims: { user_id: 'alice', plan: 'pro' } });
    if (result.ok) expect(result.trusted).toEqual({ plan: 'pro' }); // registered claims and user_id are not traits
  });

  it('accepts any of several secrets (rotation)', async () => {
    const token = await signUserToken({ user_id: 'alice' }, OTHER);
    expect((await verifyUserToken(token, [SECRET, OTHER], { userId: 'alice' })).ok).toBe(true);
    expect(await verifyUserToken(token, [SECRET], { userId: 'alice' })).toEqual({ ok: false, reason: 'token_invalid' });
  });

  it.each([
    ['an empty token', () => '', 'token_missing'],
    ['an expired token', () => jwt.sign({ user_id: 'alice', exp: now() - 31 }, SECRET), 'token_expired'],
    ['another user’s token', () => jwt.sign({ user_id: 'bob' }, SECRET), 'user_mismatch'],
    ['a token without user_id', () => jwt.sign({ name: 'x' }, SECRET), 'user_mismatch'],
    ['a numeric user_id', () => jwt.sign({ user_id: 7 }, SECRET), 'user_mismatch'],
    ['a wrong secret', () => jwt.sign({ user_id: 'alice' }, OTHER), 'token_invalid'],
    [
      'a tampered payload',
      () => {
        const [h, , s] = jwt.sign({ user_id: 'bob' }, SECRET).split('.');
        return `${h}.${b64({ user_id: 'alice' })}.${s}`;
      },
      'token_invalid',
    ],
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ user_id: 'alice' })}.`, 'token_invalid'],
    ['HS384 with the right secret', () => jwt.sign({ user_id: 'alice' }, SECRET, { algorithm: 'HS384' }), 'token_invalid'],
    ['HS512 with the right secret', () => jwt.sign({ user_id: 'alice' }, SECRET, { algorithm: 'HS512' }), 'token_invalid'],
    ['an RS256-labelled header', () => forge({ alg: 'RS256', typ: 'JWT' }, { user_id: 'alice' }), 'token_invalid'],
    ['garbage', () => 'not.a.jwt', 'token_invalid'],
    ['two segments', () => 'abc.def', 'token_invalid'],
    ['a token over 8 KiB', () => jwt.sign({ user_id: 'alice', pad: 'x'.repeat(9000) }, SECRET), 'token_invalid'],
    ['nbf 60 s in the future', () => jwt.sign({ user_id: 'alice', nbf: now() + 60 }, SECRET), 'token_invalid'],
    ['iat 60 s in the future', () => jwt.sign({ user_id: 'alice', iat: now() + 60 }, SECRET), 'token_invalid'],
    ['a string exp', () => forge({ alg: 'HS256' }, { user_id: 'alice', exp: 'tomorrow' }), 'token_invalid'],
    ['a critical header', () => forge({ alg: 'HS256', crit: ['x'], x: 1 }, { user_id: 'alice' }), 'token_invalid'],
  ])('refuses %s as %s', async (_name, make, reason) => {
    expect(await verifyUserToken(make(), SECRET, { userId: 'alice' })).toEqual({ ok: false, reason });
  });

  it('allows 30 s of clock skew on exp, nbf and iat by default', async () => {
    const token = jwt.sign({ user_id: 'alice', exp: now() - 20, nbf: now() + 20, iat: now() + 20 }, SECRET);
    expect((await verifyUserToken(token, SECRET, { userId: 'alice' })).ok).toBe(true);
    expect((await verifyUserToken(token, SECRET, { userId: 'alice', clockToleranceSeconds: 0 })).ok).toBe(false);
  });

  it('verifies without a userId option, and a token without exp never expires', async () => {
    expect((await verifyUserToken(jwt.sign({ user_id: 'a' }, SECRET), SECRET)).ok).toBe(true);
  });

  it('refuses another spelling of a valid signature (spare bits of the last character set)', async () => {
    const token = jwt.sign({ user_id: 'alice' }, SECRET);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1)!);
    const respelled = token.slice(0, -1) + alphabet[last ^ 1]!; // same 32 bytes once decoded
    expect(Buffer.from(respelled.split('.')[2]!, 'base64url').equals(Buffer.from(token.split('.')[2]!, 'base64url'))).toBe(true);
    expect((await verifyUserToken(token, SECRET, { userId: 'alice' })).ok).toBe(true);
    expect(await verifyUserToken(respelled, SECRET, { userId: 'alice' })).toEqual({ ok: false, reason: 'token_invalid' });
  });

  it('keeps a __proto__ claim as a plain trusted trait', async () => {
    const token = forge({ alg: 'HS256' }, JSON.parse('{"user_id":"alice","__proto__":{"admin":true}}'));
    const result = await verifyUserToken(token, SECRET, { userId: 'alice' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.getPrototypeOf(result.trusted)).toBe(Object.prototype);
    expect((result.trusted as { admin?: unknown }).admin).toBeUndefined();
    expect(Object.keys(result.trusted)).toEqual(['__proto__']);
  });

  it('an HS256 header seen before does not vouch for a later token with another header', async () => {
    expect((await verifyUserToken(jwt.sign({ user_id: 'alice' }, SECRET), SECRET)).ok).toBe(true);
    expect(await verifyUserToken(forge({ alg: 'HS256', typ: 'JWT' }, { user_id: 'alice' }, OTHER), SECRET)).toEqual({
      ok: false,
      reason: 'token_invalid',
    });
    expect(await verifyUserToken(forge({ alg: 'HS384', typ: 'JWT' }, { user_id: 'alice' }, SECRET, 'sha384'), SECRET)).toEqual({
      ok: false,
      reason: 'token_invalid',
    });
  });

  describe('maxLifetimeSeconds', () => {
    const day = 86_400;
    it('refuses a token without exp, or with exp further away, as token_invalid with detail lifetime', async () => {
      const lifetime = { ok: false, reason: 'token_invalid', detail: 'lifetime' };
      expect(await verifyUserToken(jwt.sign({ user_id: 'alice' }, SECRET), SECRET, { maxLifetimeSeconds: day })).toEqual(lifetime);
      expect(await verifyUserToken(jwt.sign({ user_id: 'alice', exp: 1e300 }, SECRET), SECRET, { maxLifetimeSeconds: day })).toEqual(
        lifetime,
      );
      expect(
        await verifyUserToken(jwt.sign({ user_id: 'alice' }, SECRET, { expiresIn: '25h' }), SECRET, { maxLifetimeSeconds: day }),
      ).toEqual(lifetime);
    });

    it('accepts a token that expires within it (the clock tolerance included)', async () => {
      expect(
        (await verifyUserToken(jwt.sign({ user_id: 'alice' }, SECRET, { expiresIn: '24h' }), SECRET, { maxLifetimeSeconds: day })).ok,
      ).toBe(true);
      expect(
        (await verifyUserToken(jwt.sign({ user_id: 'alice', exp: now() + day + 20 }, SECRET), SECRET, { maxLifetimeSeconds: day })).ok,
      ).toBe(true);
    });

    it('without it, a token without exp still verifies (as before)', async () => {
      expect((await verifyUserToken(jwt.sign({ user_id: 'alice' }, SECRET), SECRET)).ok).toBe(true);
    });
  });
});
