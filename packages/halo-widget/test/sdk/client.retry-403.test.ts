// retry-once-on-403: a 403 is retried once with a newer token; the episode expires once.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { claimsOf, createFakeApi, deferred, setupClient, tokenFor } from '../../../../test/helpers/fake-api.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-11-24T10:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

const setup = setupClient;

describe('403 identity_verification_failed', () => {
  it('refreshes and retries once, then succeeds', async () => {
    const bad = tokenFor('alice', 3600, { jti: 'bad' });
    const good = tokenFor('alice', 3600, { jti: 'good' });
    const api = createFakeApi({ judge: (body, call) => (call === 'chat' && body.user_token === bad ? { reason: 'token_invalid' } : 'ok') });
    const getUserToken = vi.fn(async () => good);
    const { client, onIdentityExpired } = setup(api, { userId: 'alice', userToken: bad, getUserToken });
    await expect(client.sendMessage('hi')).resolves.toMatchObject({ role: 'assistant', text: 'echo: hi' });
    expect(getUserToken).toHaveBeenCalledTimes(1);
    expect(onIdentityExpired).not.toHaveBeenCalled();
    expect(api.of('chat').map((c) => claimsOf(c.body.user_token).jti)).toEqual(['bad', 'good']);
    // Both attempts are the same message: the server can deduplicate them.
    expect(new Set(api.of('chat').map((c) => c.body.client_message_id)).size).toBe(1);
  });

  it('a second 403 fires onIdentityExpired exactly once and sets the status to expired', async () => {
    const api = createFakeApi({ judge: () => ({ reason: 'token_expired' }) });
    const getUserToken = vi.fn(async () => tokenFor('alice', 3600));
    const { client, onIdentityExpired } = setup(api, { userId: 'alice', userToken: tokenFor('alice'), getUserToken });
    const expiredEvents = vi.fn();
    client.on('identityExpired', expiredEvents);
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired' });
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired' });
    expect(onIdentityExpired).toHaveBeenCalledTimes(1);
    expect(onIdentityExpired).toHaveBeenCalledWith({ userId: 'alice', reason: 'token_expired' });
    expect(expiredEvents).toHaveBeenCalledTimes(1);
    expect(client.getIdentityState().status).toBe('expired');
  });

  it('after a second 403 it makes no second forced refresh and no third request', async () => {
    // The start-up identify is accepted; every history call is refused, whatever its token.
    const api = createFakeApi({ judge: (_body, call) => (call === 'history' ? { reason: 'token_invalid' } : 'ok') });
    let n = 0;
    const getUserToken = vi.fn(async () => tokenFor('alice', 3600, { jti: `fresh-${++n}` }));
    const { client } = setup(api, { userId: 'alice', userToken: tokenFor('alice', 3600, { jti: 'first' }), getUserToken });
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired' });
    expect(getUserToken).toHaveBeenCalledTimes(1);
    expect(api.of('history').map((c) => claimsOf(c.body.user_token).jti)).toEqual(['first', 'fresh-1']);
  });

  it('50 concurrent 403s cause one getUserToken call, and each call is retried at most once', async () => {
    const bad = tokenFor('alice', 3600, { jti: 'bad' });
    // The start-up identify accepts the token; history calls are where the server rejects it.
    const api = createFakeApi({
      judge: (body, call) => (call === 'history' && body.user_token === bad ? { reason: 'token_invalid' } : 'ok'),
    });
    const gate = deferred<string>();
    const getUserToken = vi.fn(() => gate.promise);
    const { client, onIdentityExpired } = setup(api, { userId: 'alice', userToken: bad, getUserToken });
    await vi.advanceTimersByTimeAsync(0);
    const calls = Array.from({ length: 50 }, () => client.history());
    await vi.advanceTimersByTimeAsync(0);
    gate.resolve(tokenFor('alice', 3600, { jti: 'good' }));
    await Promise.all(calls);
    expect(getUserToken).toHaveBeenCalledTimes(1);
    const history = api.of('history');
    expect(history).toHaveLength(100);
    expect(history.filter((c) => c.body.user_token === bad)).toHaveLength(50);
    expect(onIdentityExpired).not.toHaveBeenCalled();
  });

  it('retries with a token that got newer while the request was out, without another refresh', async () => {
    const bad = tokenFor('alice', 3600, { jti: 'bad' });
    const good = tokenFor('alice', 3600, { jti: 'good' });
    const answer = deferred<Response>();
    let held = true;
    const api = createFakeApi({
      judge: (body) => (body.user_token === bad ? { reason: 'token_invalid' } : 'ok'),
      intercept: (call) => (call === 'history' && held ? ((held = false), answer.promise) : undefined),
    });
    const getUserToken = vi.fn(async () => good);
    const { client } = setup(api, { userId: 'alice', userToken: bad, getUserToken });
    await vi.advanceTimersByTimeAsync(0);
    const pending = client.history();
    await vi.advanceTimersByTimeAsync(0);
    await client.identify('alice', {}, { userToken: good });
    answer.resolve(
      new Response(JSON.stringify({ error: { code: 'identity_verification_failed', message: 'no', reason: 'token_invalid' } }), {
        status: 403,
        headers: { 'Content-Type': 'application/json' },
      }),
    );
    await expect(pending).resolves.toEqual([]);
    expect(getUserToken).toHaveBeenCalledTimes(1); // the identify's own 403 on `bad` at start-up
    expect(api.of('history').at(-1)!.body.user_token).toBe(good);
  });

  it('a 403 is never satisfied by a refresh that started before it', async () => {
    const aging = (() => {
      const now = Math.floor(Date.now() / 1000);
      return tokenFor('alice', 3600, { iat: now - 3500, exp: now + 100, jti: 'aging' });
    })();
    const preemptive = deferred<string>();
    const forced = tokenFor('alice', 3600, { jti: 'forced' });
    const getUserToken = vi
      .fn<() => Promise<string>>()
      .mockImplementationOnce(() => preemptive.promise)
      .mockResolvedValue(forced);
    const api = createFakeApi({ judge: (body) => (claimsOf(body.user_token).jti === 'forced' ? 'ok' : { reason: 'token_invalid' }) });
    // Start with a fresh token that the server rejects; a pre-emptive refresh is already running.
    const { client } = setup(api, { userId: 'alice', userToken: aging, getUserToken });
    await vi.advanceTimersByTimeAsync(0);
    expect(getUserToken).toHaveBeenCalledTimes(1); // the start-up identify's pre-emptive refresh
    preemptive.resolve(tokenFor('alice', 3600, { jti: 'stale' }));
    await vi.advanceTimersByTimeAsync(0);
    // The stale token is rejected; the forced refresh must be a new getUserToken call.
    await expect(client.history()).resolves.toEqual([]);
    expect(getUserToken).toHaveBeenCalledTimes(2);
    expect(claimsOf(api.of('history').at(-1)!.body.user_token).jti).toBe('forced');
  });

  it('a 403 that arrives while a pre-emptive refresh runs starts its own getUserToken call instead of joining it (auth0-spa-js #1691)', async () => {
    const preemptive = deferred<string>();
    const getUserToken = vi
      .fn<() => Promise<string>>()
      .mockImplementationOnce(() => preemptive.promise)
      .mockResolvedValue(tokenFor('alice', 3600, { jti: 'forced' }));
    // The server has revoked token `a` but still answers identify; only `forced` is good for history.
    const held = deferred<void>();
    let firstHistory = true;
    const api = createFakeApi({
      judge: (body, call) => (call === 'identify' || claimsOf(body.user_token).jti === 'forced' ? 'ok' : { reason: 'token_invalid' }),
      intercept: async (call) => {
        if (call === 'history' && firstHistory) {
          firstHistory = false;
          await held.promise;
        }
        return undefined;
      },
    });
    const { client, onIdentityExpired } = setup(api, { userId: 'alice', userToken: tokenFor('alice', 3600, { jti: 'a' }), getUserToken });
    await vi.advanceTimersByTimeAsync(0);
    const first = client.history(); // goes out with `a` and waits for its answer
    await vi.advanceTimersByTimeAsync(0);
    vi.setSystemTime(Date.now() + 3400_000); // `a` is now inside the refresh skew
    const second = client.history(); // starts the pre-emptive refresh, still running
    await vi.advanceTimersByTimeAsync(0);
    expect(getUserToken).toHaveBeenCalledTimes(1);
    held.resolve(); // the first call's 403 arrives while that refresh runs
    await vi.advanceTimersByTimeAsync(0);
    // The forced refresh did not wait for the pre-emptive one: it asked getUserToken itself.
    expect(getUserToken).toHaveBeenCalledTimes(2);
    preemptive.resolve(tokenFor('alice', 3600, { jti: 'stale' })); // what the backend had before the revocation
    await expect(first).resolves.toEqual([]);
    await expect(second).resolves.toEqual([]);
    expect(onIdentityExpired).not.toHaveBeenCalled();
    expect(api.of('history').map((c) => claimsOf(c.body.user_token).jti)).toEqual(['a', 'forced', 'forced']);
  });

  it('without getUserToken a 403 expires the identity with the server reason', async () => {
    const api = createFakeApi({ judge: () => ({ reason: 'user_mismatch' }) });
    const { client, onIdentityExpired } = setup(api, { userId: 'alice', userToken: tokenFor('alice') });
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired', reason: 'user_mismatch' });
    expect(onIdentityExpired).toHaveBeenCalledTimes(1);
    expect(onIdentityExpired).toHaveBeenCalledWith({ userId: 'alice', reason: 'user_mismatch' });
  });

  it('without getUserToken, the next call after a 403 still carries the refused token for the server to judge', async () => {
    const token = tokenFor('alice');
    const api = createFakeApi({ judge: () => ({ reason: 'token_invalid' }) });
    const { client } = setup(api, { userId: 'alice', userToken: token });
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired' });
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired', reason: 'token_invalid' });
    expect(api.of('history').map((c) => c.body.user_token)).toEqual([token, token]);
  });

  it('getIdentityState reports verified false after a 403 and true once the retry is accepted', async () => {
    const bad = tokenFor('alice', 3600, { jti: 'bad' });
    const gate = deferred<string>();
    const api = createFakeApi({ judge: (body) => (body.user_token === bad ? { reason: 'token_invalid' } : 'ok') });
    const { client } = setup(api, { userId: 'alice', userToken: bad, getUserToken: () => gate.promise });
    const pending = client.history();
    await vi.waitFor(() => expect(client.getIdentityState()).toMatchObject({ status: 'refreshing', verified: false }));
    gate.resolve(tokenFor('alice', 3600, { jti: 'good' }));
    await pending;
    expect(client.getIdentityState()).toMatchObject({ status: 'identified', verified: true });
  });

  it('a failed refresh after a 403 expires the identity with reason token_refresh_failed', async () => {
    const api = createFakeApi({ judge: () => ({ reason: 'token_expired' }) });
    const getUserToken = vi.fn(async () => {
      throw new Error('401 from the app backend');
    });
    const { client, onIdentityExpired, onError } = setup(api, { userId: 'alice', userToken: tokenFor('alice'), getUserToken });
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired' });
    expect(onIdentityExpired).toHaveBeenCalledTimes(1);
    expect(onIdentityExpired).toHaveBeenCalledWith({ userId: 'alice', reason: 'token_refresh_failed' });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'token_refresh_failed' }));
  });

  it('a network failure is network_error, never an identity expiry', async () => {
    const api = createFakeApi({
      intercept: () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const { client, onIdentityExpired } = setup(api, { userId: 'alice', userToken: tokenFor('alice'), retry: { attempts: 1 } });
    await expect(client.history()).rejects.toMatchObject({ code: 'network_error' });
    expect(onIdentityExpired).not.toHaveBeenCalled();
    expect(client.getIdentityState().status).toBe('identified');
  });
});
