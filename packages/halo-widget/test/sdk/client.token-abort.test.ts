// getUserToken({ signal }): the app's request to its backend stops when the SDK stops waiting.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GetUserTokenContext } from '../../src/index.js';
import { createFakeApi, json, setupClient, tokenFor } from '../../../../test/helpers/fake-api.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A getUserToken that never answers and records the signals it was given. */
function hangingGetUserToken() {
  const signals: AbortSignal[] = [];
  const getUserToken = vi.fn(({ signal }: GetUserTokenContext) => {
    signals.push(signal);
    return new Promise<string>(() => {});
  });
  return { getUserToken, signals };
}

describe('getUserToken’s AbortSignal', () => {
  it('is aborted when tokenTimeoutMs passes', async () => {
    const { getUserToken, signals } = hangingGetUserToken();
    const { client } = setupClient(createFakeApi(), { userId: 'alice', getUserToken, tokenTimeoutMs: 5000 });
    // With no token, the call goes out after the failed refresh (refresh-failure-keeps-messages);
    // the server's 403 forces one more getUserToken call, which times out too: the episode opens.
    const call = expect(client.history()).rejects.toMatchObject({ code: 'identity_expired', reason: 'token_refresh_failed' });
    await vi.advanceTimersByTimeAsync(0);
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(5001);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toMatchObject({ code: 'token_refresh_failed' });
    await vi.advanceTimersByTimeAsync(5001);
    await call;
    expect(signals).toHaveLength(2);
    expect(signals[1]!.aborted).toBe(true);
  });

  it('is aborted by a switch to another user (user-switch-discards)', async () => {
    const { getUserToken, signals } = hangingGetUserToken();
    const { client } = setupClient(createFakeApi(), { userId: 'alice', getUserToken });
    const call = expect(client.history()).rejects.toMatchObject({ code: 'identity_changed' });
    await vi.advanceTimersByTimeAsync(0);
    await client.identify('bob', { name: 'Bob' }, { userToken: tokenFor('bob') });
    await call;
    expect(signals[0]!.aborted).toBe(true);
  });

  it('is aborted by destroy() and by shutdown()', async () => {
    for (const end of ['destroy', 'shutdown'] as const) {
      const { getUserToken, signals } = hangingGetUserToken();
      const { client } = setupClient(createFakeApi(), { userId: 'alice', getUserToken });
      const call = expect(client.history()).rejects.toMatchObject({ code: 'shutdown' });
      await vi.advanceTimersByTimeAsync(0);
      client[end]();
      await call;
      expect(signals[0]!.aborted, end).toBe(true);
    }
  });
});

describe('reasons', () => {
  it('a 403 reason outside the protocol reaches onIdentityExpired as token_invalid, never as the server’s free text', async () => {
    const api = createFakeApi({
      intercept: () =>
        json(
          403,
          { error: { code: 'identity_verification_failed', message: 'no', reason: 'something <script>' } },
          { 'Halo-Identity': 'unverified' },
        ),
    });
    const { client, onIdentityExpired } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice') });
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired', reason: 'token_invalid' });
    expect(onIdentityExpired).toHaveBeenCalledWith({ userId: 'alice', reason: 'token_invalid' });
  });
});
