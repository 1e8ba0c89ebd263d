// @vitest-environment happy-dom
// Issue 6: tabs of one origin share refreshed tokens (BroadcastChannel) and take turns
// refreshing (Web Locks), so T tabs near expiry make one getUserToken call.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHalo, type HaloClient } from '../../src/index.js';
import { agingToken, API_BASE, claimsOf, createFakeApi, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

/** An in-memory Web Locks stand-in (happy-dom has none): one holder per name, FIFO. */
function installLocks() {
  const tails = new Map<string, Promise<unknown>>();
  const held = new Set<string>();
  const locks = {
    request<T>(name: string, options: { ifAvailable?: boolean }, fn: (lock: unknown) => Promise<T>): Promise<T> {
      if (options.ifAvailable && held.has(name)) return Promise.resolve().then(() => fn(null));
      held.add(name);
      const previous = tails.get(name) ?? Promise.resolve();
      const result = previous
        .then(() => fn({ name }))
        .finally(() => {
          if (tails.get(name) === settled) held.delete(name);
        });
      const settled = result.catch(() => undefined);
      tails.set(name, settled);
      return result;
    },
  };
  Object.defineProperty(navigator, 'locks', { value: locks, configurable: true });
}

const clients: HaloClient[] = [];
function tab(
  api: ReturnType<typeof createFakeApi>,
  getUserToken: () => Promise<string>,
  userId = 'alice',
  userToken = agingToken(userId, 100),
) {
  const client = createHalo({
    widgetKey: WIDGET_KEY,
    apiBase: API_BASE,
    launcher: false,
    userId,
    userToken,
    userTraits: { name: userId },
    getUserToken,
    fetch: api.fetch,
  });
  clients.push(client);
  return client;
}

/** A backend token endpoint that answers after a macrotask, counting its calls. */
function backend(userId = 'alice') {
  let n = 0;
  const fn = vi.fn(async () => {
    n++;
    await new Promise((r) => setTimeout(r, 5));
    return tokenFor(userId, 3600, { jti: `t${n}` });
  });
  return fn;
}

/**
 * A BroadcastChannel whose messages wait until the test delivers them (`held.splice(0).forEach(d => d())`):
 * the broadcast reaches the other tab only when the test says so.
 */
function holdBroadcasts(): (() => void)[] {
  const held: (() => void)[] = [];
  const channels = new Set<{ name: string; onmessage: ((e: { data: unknown }) => void) | null }>();
  class HeldChannel {
    onmessage: ((e: { data: unknown }) => void) | null = null;
    constructor(readonly name: string) {
      channels.add(this);
    }
    postMessage(data: unknown) {
      for (const other of channels) if (other !== this && other.name === this.name) held.push(() => other.onmessage?.({ data }));
    }
    close() {
      channels.delete(this);
    }
  }
  vi.stubGlobal('BroadcastChannel', HeldChannel);
  return held;
}

beforeEach(() => {
  Object.defineProperty(navigator, 'locks', { value: null, configurable: true });
});
afterEach(() => {
  clients.splice(0).forEach((c) => c.shutdown());
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('cross-tab refresh', () => {
  it('three tabs near expiry make one getUserToken call in total and all use its token', async () => {
    installLocks();
    const api = createFakeApi();
    const getUserToken = backend();
    const tabs = [tab(api, getUserToken), tab(api, getUserToken), tab(api, getUserToken)];
    await Promise.all(tabs.map((t) => t.history()));
    expect(getUserToken).toHaveBeenCalledTimes(1);
    const sent = api.of('history').map((c) => claimsOf(c.body.user_token).jti);
    expect(sent).toEqual(['t1', 't1', 't1']);
  });

  it('without navigator.locks a tab that refreshes later uses the token another tab shared', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = createFakeApi();
    const getUserToken = backend();
    const first = tab(api, getUserToken, 'alice', tokenFor('alice', 600));
    const second = tab(api, getUserToken, 'alice', tokenFor('alice', 600));
    await vi.waitFor(() => expect(api.of('identify')).toHaveLength(2));
    expect(getUserToken).not.toHaveBeenCalled();
    vi.setSystemTime(Date.now() + 400_000); // both tokens now inside the skew
    await first.history();
    await vi.waitFor(() => expect(second.getIdentityState().tokenExpiresAt).toBe(first.getIdentityState().tokenExpiresAt));
    await second.history();
    expect(getUserToken).toHaveBeenCalledTimes(1);
  });

  it('a token shared for another user is ignored', async () => {
    installLocks();
    const api = createFakeApi();
    const alice = tab(api, backend('alice'), 'alice');
    const bobBackend = backend('bob');
    const bob = tab(api, bobBackend, 'bob');
    await alice.history();
    await bob.history();
    expect(bobBackend).toHaveBeenCalledTimes(1);
    expect(api.of('history').every((c) => claimsOf(c.body.user_token).user_id === c.body.user_id)).toBe(true);
  });

  it('a tab that was shut down or switched user ignores shared tokens', async () => {
    const api = createFakeApi();
    const getUserToken = backend();
    const switched = tab(api, backend('carol'));
    await switched.identify('carol', { name: 'Carol' }, { userToken: tokenFor('carol') });
    const closed = tab(api, getUserToken);
    closed.shutdown();
    const active = tab(api, getUserToken);
    await active.history();
    await new Promise((r) => setTimeout(r, 20));
    expect(switched.getIdentityState().userId).toBe('carol');
    expect(claimsOf(api.of('history').at(-1)!.body.user_token).user_id).toBe('alice');
    expect(closed.getIdentityState()).toMatchObject({ userId: null, tokenExpiresAt: null });
  });

  it('a broadcast token for another user is never used, even when the broadcast names this user', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = createFakeApi();
    const getUserToken = backend();
    const alice = tab(api, getUserToken, 'alice', tokenFor('alice', 600));
    await vi.waitFor(() => expect(api.of('identify')).toHaveLength(1));
    vi.setSystemTime(Date.now() + 400_000); // alice's token is inside the skew: a shared one would be welcome
    const channel = new BroadcastChannel(`halo:${WIDGET_KEY}`);
    channel.postMessage({ type: 'halo:token', userId: 'alice', token: tokenFor('mallory', 3600) });
    channel.postMessage({ type: 'halo:token', userId: 'mallory', token: tokenFor('mallory', 3600) });
    await new Promise((r) => setTimeout(r, 20));
    channel.close();
    await alice.history();
    // Not one request carried mallory's token as alice (token-matches-user).
    expect(api.calls.map((c) => claimsOf(c.body.user_token).user_id)).toEqual(['alice', 'alice']);
    expect(getUserToken).toHaveBeenCalledTimes(1);
  });

  it('a broadcast that names another user is ignored even when it carries this user’s token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = createFakeApi();
    const getUserToken = backend();
    const alice = tab(api, getUserToken, 'alice', tokenFor('alice', 600));
    await vi.waitFor(() => expect(api.of('identify')).toHaveLength(1));
    vi.setSystemTime(Date.now() + 400_000); // inside the skew: a shared token would be used
    const channel = new BroadcastChannel(`halo:${WIDGET_KEY}`);
    channel.postMessage({ type: 'halo:token', userId: 'mallory', token: tokenFor('alice', 3600, { jti: 'via-mallory' }) });
    await new Promise((r) => setTimeout(r, 20));
    channel.close();
    await alice.history();
    // The broadcast was for another session's user: alice's tab refreshed through its own app.
    expect(getUserToken).toHaveBeenCalledTimes(1);
    expect(api.of('history').map((c) => claimsOf(c.body.user_token).jti)).toEqual(['t1']);
  });

  it('after shutdown a tab ignores broadcasts and fires no event', async () => {
    const api = createFakeApi();
    const client = tab(api, backend(), 'alice', tokenFor('alice', 600));
    await vi.waitFor(() => expect(api.of('identify')).toHaveLength(1));
    const heard = vi.fn();
    for (const event of ['message', 'identity', 'identityExpired', 'error'] as const) client.on(event, heard);
    client.shutdown();
    const channel = new BroadcastChannel(`halo:${WIDGET_KEY}`);
    channel.postMessage({ type: 'halo:token', userId: 'alice', token: tokenFor('alice', 3600) });
    await new Promise((r) => setTimeout(r, 20));
    channel.close();
    expect(heard).not.toHaveBeenCalled();
    expect(client.getIdentityState()).toEqual({ userId: null, status: 'anonymous', verified: null, tokenExpiresAt: null });
  });

  it('a tab that misses the broadcast refreshes on its own and still works', async () => {
    installLocks();
    vi.spyOn(BroadcastChannel.prototype, 'postMessage').mockImplementation(() => undefined);
    const api = createFakeApi();
    const getUserToken = backend();
    const tabs = [tab(api, getUserToken), tab(api, getUserToken)];
    await Promise.all(tabs.map((t) => t.history()));
    expect(getUserToken).toHaveBeenCalledTimes(2);
    expect(api.of('history')).toHaveLength(2);
  });

  it('a tab that gets the lock just after the refreshing tab let go uses the token that tab broadcast, arriving while it waits, and does not refresh again', async () => {
    installLocks();
    // A channel whose messages are held until the test delivers them: the broadcast reaches the
    // other tab only after the refreshing tab has its token (the race of issue 15).
    const held = holdBroadcasts();
    try {
      vi.useFakeTimers({ toFake: ['Date'] });
      const api = createFakeApi();
      const getUserToken = backend();
      const first = tab(api, getUserToken, 'alice', tokenFor('alice', 600));
      const second = tab(api, getUserToken, 'alice', tokenFor('alice', 600));
      await vi.waitFor(() => expect(api.of('identify')).toHaveLength(2));
      vi.setSystemTime(Date.now() + 400_000); // both tokens now inside the skew
      await first.history(); // refreshed under the lock, broadcast sent but not yet delivered
      expect(held).toHaveLength(1);
      const late = second.history(); // asks for the lock right after the first tab is done
      await new Promise((r) => setTimeout(r, 20));
      held.splice(0).forEach((deliver) => deliver()); // the broadcast lands while it waits
      await late;
      expect(getUserToken).toHaveBeenCalledTimes(1);
      expect(api.of('history').map((c) => claimsOf(c.body.user_token).jti)).toEqual(['t1', 't1']);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('the refreshing tab keeps the lock for a moment after its refresh, so a tab asking 100 ms later waits for the broadcast instead of refreshing again', async () => {
    installLocks();
    const held = holdBroadcasts();
    try {
      vi.useFakeTimers({ toFake: ['Date'] });
      const api = createFakeApi();
      const getUserToken = backend();
      const first = tab(api, getUserToken, 'alice', tokenFor('alice', 600));
      const second = tab(api, getUserToken, 'alice', tokenFor('alice', 600));
      await vi.waitFor(() => expect(api.of('identify')).toHaveLength(2));
      vi.setSystemTime(Date.now() + 400_000);
      await first.history();
      // A slow broadcast: still on its way 100 ms after the refresh, inside the lock's hold.
      await new Promise((r) => setTimeout(r, 100));
      const late = second.history();
      await new Promise((r) => setTimeout(r, 20));
      held.splice(0).forEach((deliver) => deliver());
      await late;
      expect(getUserToken).toHaveBeenCalledTimes(1);
      expect(api.of('history').map((c) => claimsOf(c.body.user_token).jti)).toEqual(['t1', 't1']);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('no token is written to storage while tabs share one', async () => {
    installLocks();
    const api = createFakeApi();
    const getUserToken = backend();
    await Promise.all([tab(api, getUserToken).history(), tab(api, getUserToken).history()]);
    const stored = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie;
    expect(stored).not.toMatch(/eyJ/);
  });
});

describe('sleep and visibility', () => {
  it('a tab waking from sleep refreshes lazily: nothing on visibilitychange, one refresh for the calls that follow', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = createFakeApi();
    const getUserToken = backend();
    const client = tab(api, getUserToken, 'alice', tokenFor('alice', 3600));
    await vi.waitFor(() => expect(api.of('identify')).toHaveLength(1));
    vi.setSystemTime(Date.now() + 5 * 3600_000); // the laptop slept five hours
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event('focus'));
    await new Promise((r) => setTimeout(r, 20));
    expect(getUserToken).not.toHaveBeenCalled();
    await Promise.all([client.history(), client.history(), client.sendMessage('back')]);
    expect(getUserToken).toHaveBeenCalledTimes(1);
  });
});
