// refresh-within-skew, single-flight-refresh, accept-until-exp, refresh-failure-keeps-messages, server-clock: when the SDK calls getUserToken, and which token a call carries.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { agingToken, claimsOf, createFakeApi, deferred, setupClient, tokenFor } from '../../../../test/helpers/fake-api.js';

const T0 = new Date('2026-11-24T10:00:00Z');

function setup(extra: Record<string, unknown> = {}, api = createFakeApi()) {
  return { api, ...setupClient(api, { userId: 'alice', ...extra }) };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('token refresh', () => {
  it('a fresh token is sent as is, without calling getUserToken', async () => {
    const getUserToken = vi.fn(async () => tokenFor('alice'));
    const token = tokenFor('alice', 3600);
    const { client, api } = setup({ userToken: token, getUserToken });
    await client.sendMessage('hello');
    expect(getUserToken).not.toHaveBeenCalled();
    expect(api.of('chat')[0]!.body.user_token).toBe(token);
  });

  it('a token inside the refresh skew is refreshed exactly once before the call', async () => {
    const fresh = tokenFor('alice', 3600);
    const getUserToken = vi.fn(async () => fresh);
    const { client, api } = setup({ userToken: agingToken('alice', 200), getUserToken });
    await client.sendMessage('hello');
    await client.history();
    expect(getUserToken).toHaveBeenCalledTimes(1);
    expect(api.of('chat')[0]!.body.user_token).toBe(fresh);
    expect(api.of('history')[0]!.body.user_token).toBe(fresh);
  });

  it('the skew is capped at half the token lifetime, so a 60-second token is not refreshed per call', async () => {
    const getUserToken = vi.fn(async () => tokenFor('alice', 60));
    const { client } = setup({ userToken: tokenFor('alice', 60), getUserToken });
    for (let i = 0; i < 5; i++) await client.history();
    expect(getUserToken).not.toHaveBeenCalled();
    vi.setSystemTime(T0.getTime() + 31_000);
    for (let i = 0; i < 5; i++) await client.history();
    expect(getUserToken).toHaveBeenCalledTimes(1);
  });

  it('a refreshed token without iat that is already inside the skew is used until it expires, not refreshed per call', async () => {
    const shortNoIat = () => tokenFor('alice', 60, { iat: undefined });
    const getUserToken = vi.fn(async () => shortNoIat());
    const { client, api } = setup({ getUserToken });
    for (let i = 0; i < 10; i++) await client.history();
    expect(getUserToken).toHaveBeenCalledTimes(1);
    expect(api.of('history').every((c) => c.body.user_token)).toBe(true);
    vi.setSystemTime(T0.getTime() + 61_000);
    await client.history();
    expect(getUserToken).toHaveBeenCalledTimes(2);
  });

  it('50 concurrent calls near expiry share one getUserToken call and all carry the new token', async () => {
    const gate = deferred<string>();
    const getUserToken = vi.fn(() => gate.promise);
    const { client, api } = setup({ userToken: agingToken('alice', 100), getUserToken });
    const calls = Array.from({ length: 50 }, () => client.history());
    const fresh = tokenFor('alice', 3600);
    await vi.advanceTimersByTimeAsync(0);
    gate.resolve(fresh);
    await Promise.all(calls);
    expect(getUserToken).toHaveBeenCalledTimes(1);
    expect(api.of('history')).toHaveLength(50);
    expect(api.of('history').every((c) => c.body.user_token === fresh)).toBe(true);
  });

  it('a clock jumped forward two hours without timers firing refreshes before sending', async () => {
    const getUserToken = vi.fn(async () => tokenFor('alice', 3600));
    const original = tokenFor('alice', 3600);
    const { client, api } = setup({ userToken: original, getUserToken });
    await client.history();
    vi.setSystemTime(T0.getTime() + 2 * 3600_000);
    await client.history();
    expect(getUserToken).toHaveBeenCalledTimes(1);
    const sent = api.of('history')[1]!.body.user_token;
    expect(sent).not.toBe(original);
    expect(claimsOf(sent).exp).toBeGreaterThan(Date.now() / 1000);
  });

  it('a client clock one hour ahead of a correct server Date header causes no refresh loop', async () => {
    // Tokens are issued by the server's clock, an hour behind this client's.
    const serverToken = () => {
      const iat = Math.floor(Date.now() / 1000) - 3600;
      return `${tokenFor('x').split('.')[0]}.${Buffer.from(JSON.stringify({ user_id: 'alice', iat, exp: iat + 3600 })).toString('base64url')}.sig`;
    };
    const api = createFakeApi({ serverOffsetMs: -3600_000 });
    const getUserToken = vi.fn(async () => serverToken());
    const { client } = setup({ userToken: serverToken(), getUserToken }, api);
    for (let i = 0; i < 20; i++) await client.history();
    expect(getUserToken.mock.calls.length).toBeLessThanOrEqual(1);
    expect(client.getIdentityState().status).toBe('identified');
  });

  it('without getUserToken the SDK sends the token it has and lets the server judge', async () => {
    const old = tokenFor('alice', 10);
    const api = createFakeApi({ judge: () => 'ok' });
    const { client } = setup({ userToken: old }, api);
    await client.history();
    expect(api.of('history')[0]!.body.user_token).toBe(old);
  });

  // refresh-failure-keeps-messages: with no token left, a failed refresh sends the call anyway
  // and lets the server decide; enforce answers 403, which forces one more refresh.
  it('getUserToken rejecting once is reported; the call goes out without a token, and the 403 that follows forces one refresh that succeeds', async () => {
    const getUserToken = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Error('backend down'))
      .mockResolvedValue(tokenFor('alice', 3600));
    const { client, api, onError, onIdentityExpired } = setup({ getUserToken });
    await expect(client.history()).resolves.toEqual([]);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'token_refresh_failed' }));
    expect(getUserToken).toHaveBeenCalledTimes(2);
    expect(api.of('history').map((c) => c.body.user_token === undefined)).toEqual([true, false]);
    expect(onIdentityExpired).not.toHaveBeenCalled();
  });

  it('getUserToken hanging past tokenTimeoutMs fails that refresh with token_refresh_failed, and the server-forced refresh tries again', async () => {
    const getUserToken = vi
      .fn<() => Promise<string>>()
      .mockImplementationOnce(() => new Promise(() => {}))
      .mockResolvedValue(tokenFor('alice', 3600));
    const { client, onError } = setup({ getUserToken, tokenTimeoutMs: 5000 });
    const first = client.history();
    await vi.advanceTimersByTimeAsync(5001);
    await expect(first).resolves.toEqual([]);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'token_refresh_failed' }));
    expect(getUserToken).toHaveBeenCalledTimes(2);
  });

  it('a token just past exp whose refresh keeps failing goes to the server once; its 403 and one forced refresh open the expired episode, reported once', async () => {
    const getUserToken = vi.fn<() => Promise<string>>().mockRejectedValue(new Error('session ended'));
    const { client, api, onError, onIdentityExpired } = setup({ userToken: tokenFor('alice', 3600), getUserToken });
    await client.history(); // learns the server clock
    expect(client.getIdentityState()).toMatchObject({ status: 'identified', verified: true });
    vi.setSystemTime(T0.getTime() + 3610_000); // 10 s past exp: within the server's tolerance
    expect(client.getIdentityState().verified).toBe(false); // never verified past exp
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired', reason: 'token_refresh_failed' });
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired' });
    expect(api.of('history')).toHaveLength(2); // the second call did not bother the server
    expect(onIdentityExpired).toHaveBeenCalledTimes(1);
    expect(onIdentityExpired).toHaveBeenCalledWith({ userId: 'alice', reason: 'token_refresh_failed' });
    expect(onError.mock.calls.filter(([e]) => e.code === 'identity_expired')).toHaveLength(1);
    expect(client.getIdentityState()).toMatchObject({ status: 'expired', verified: false });
  });

  it('a token long past exp whose refresh fails is refused locally: one forced refresh, then the expired episode, without a request', async () => {
    const getUserToken = vi.fn<() => Promise<string>>().mockRejectedValue(new Error('session ended'));
    const { client, api, onIdentityExpired } = setup({ userToken: tokenFor('alice', 3600), getUserToken });
    await client.history(); // learns the server clock
    vi.setSystemTime(T0.getTime() + 2 * 3600_000);
    expect(client.getIdentityState().verified).toBe(false);
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired', reason: 'token_refresh_failed' });
    expect(api.of('history')).toHaveLength(1);
    expect(getUserToken).toHaveBeenCalledTimes(2);
    expect(onIdentityExpired).toHaveBeenCalledExactlyOnceWith({ userId: 'alice', reason: 'token_refresh_failed' });
  });

  it('a token past exp whose refresh fails is still sent: a server in monitor mode accepts it unverified', async () => {
    const api = createFakeApi({ judge: () => 'ok' });
    const getUserToken = vi.fn<() => Promise<string>>().mockRejectedValue(new Error('backend down'));
    const past = tokenFor('alice', -60);
    const { client, onIdentityExpired } = setup({ userToken: past, getUserToken }, api);
    await expect(client.history()).resolves.toEqual([]);
    expect(api.of('history')[0]!.body.user_token).toBe(past);
    expect(onIdentityExpired).not.toHaveBeenCalled();
  });

  it('a failed refresh falls back to a still-valid older token instead of failing the call', async () => {
    const older = agingToken('alice', 120);
    const getUserToken = vi.fn(async () => {
      throw new Error('backend down');
    });
    const { client, api, onError } = setup({ userToken: older, getUserToken });
    await expect(client.history()).resolves.toEqual([]);
    expect(api.of('history')[0]!.body.user_token).toBe(older);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'token_refresh_failed' }));
  });

  it('a refreshed token that the corrected clock shows as expired is refused', async () => {
    const api = createFakeApi();
    const getUserToken = vi.fn(async () => tokenFor('alice', -10));
    const { client, onError } = setup({ getUserToken, userToken: tokenFor('alice', 3600) }, api);
    await client.history(); // learns the server clock
    vi.setSystemTime(T0.getTime() + 3700_000);
    // Refused twice (the second time forced by the server's 403 to the expired token): the episode opens.
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired', reason: 'token_refresh_failed' });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'invalid_user_token' }));
  });

  it('getIdentityState reports refreshing while getUserToken runs and the token exp after', async () => {
    const gate = deferred<string>();
    const { client } = setup({ getUserToken: () => gate.promise });
    const statuses: string[] = [];
    client.on('identity', (s) => statuses.push(s.status));
    const call = client.history();
    await vi.advanceTimersByTimeAsync(0);
    expect(client.getIdentityState().status).toBe('refreshing');
    const fresh = tokenFor('alice', 3600);
    gate.resolve(fresh);
    await call;
    expect(client.getIdentityState()).toEqual({
      userId: 'alice',
      status: 'identified',
      verified: true,
      tokenExpiresAt: claimsOf(fresh).exp,
    });
    expect(statuses).toContain('refreshing');
  });
});
