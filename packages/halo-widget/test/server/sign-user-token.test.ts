// signUserToken: HS256 via jose, interoperable with an independent implementation (jsonwebtoken).
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { generateProjectKeys, signUserToken, verifyUserToken } from '../../src/server/index.js';

const { identitySecret: SECRET } = generateProjectKeys();
const OTHER = generateProjectKeys().identitySecret;

describe('signUserToken', () => {
  it('signs HS256 with iat and a 24 h exp by default, verifiable by jsonwebtoken', async () => {
    const token = await signUserToken({ user_id: 'alice', name: 'Alice' }, SECRET);
    const claims = jwt.verify(token, SECRET, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ user_id: 'alice', name: 'Alice' });
    expect(claims.exp! - claims.iat!).toBe(24 * 3600);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('takes expiresIn as seconds or a time span', async () => {
    const a = jwt.decode(await signUserToken({ user_id: 'a' }, SECRET, { expiresIn: 90 })) as jwt.JwtPayload;
    const b = jwt.decode(await signUserToken({ user_id: 'a' }, SECRET, { expiresIn: '15m' })) as jwt.JwtPayload;
    expect(a.exp! - a.iat!).toBe(90);
    expect(b.exp! - b.iat!).toBe(900);
  });

  it('refuses a secret without the ha_secret_ prefix and claims without a string user_id', async () => {
    await expect(signUserToken({ user_id: 'a' }, 'hunter2')).rejects.toThrow(/ha_secret_/);
    await expect(signUserToken({ user_id: 42 } as never, SECRET)).rejects.toThrow(/user_id/);
    await expect(signUserToken({ user_id: '' }, SECRET)).rejects.toThrow(/user_id/);
    await expect(signUserToken({ user_id: 'a' }, SECRET, { expiresIn: 'soon' })).rejects.toThrow(/expiresIn/);
  });

  it('a negative expiresIn makes a token that is already expired, as jsonwebtoken does', async () => {
    const token = await signUserToken({ user_id: 'alice' }, SECRET, { expiresIn: -60 });
    const claims = jwt.decode(token) as jwt.JwtPayload;
    expect(claims.exp! - claims.iat!).toBe(-60);
    expect(() => jwt.verify(token, SECRET)).toThrow(/expired/);
    expect(await verifyUserToken(token, SECRET, { userId: 'alice', clockToleranceSeconds: 0 })).toEqual({
      ok: false,
      reason: 'token_expired',
    });
    const now = jwt.decode(await signUserToken({ user_id: 'alice' }, SECRET, { expiresIn: 0 })) as jwt.JwtPayload;
    expect(now.exp).toBe(now.iat);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a boolean', true],
    ['an object', { hours: 1 }],
  ])('refuses %s as expiresIn with a TypeError naming expiresIn', async (_name, expiresIn) => {
    const error = await signUserToken({ user_id: 'alice' }, SECRET, { expiresIn: expiresIn as never }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/expiresIn/);
  });

  it("makes tokens that jsonwebtoken rejects under another project's secret", async () => {
    const token = await signUserToken({ user_id: 'alice' }, SECRET);
    expect(() => jwt.verify(token, OTHER)).toThrow();
  });

  it('round-trips through verifyUserToken, with the extra claims as trusted traits', async () => {
    const token = await signUserToken({ user_id: 'alice', name: 'Alice', plan: 'pro' }, SECRET, { expiresIn: '5m' });
    const result = await verifyUserToken(token, SECRET, { userId: 'alice' });
    expect(result).toMatchObject({ ok: true, trusted: { name: 'Alice', plan: 'pro' } });
  });

  it('does not let a claim override iat or exp', async () => {
    const token = await signUserToken({ user_id: 'alice', exp: 1, iat: 1 }, SECRET, { expiresIn: 60 });
    const claims = jwt.decode(token) as jwt.JwtPayload;
    expect(claims.iat).toBeGreaterThan(1_700_000_000);
    expect(claims.exp! - claims.iat!).toBe(60);
  });
});
