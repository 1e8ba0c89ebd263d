// @vitest-environment happy-dom
// no-secrets-in-browser (secrets, memory-only tokens) and token-matches-user (mismatched tokens are never sent).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHalo } from '../../src/index.js';
import { API_BASE, claimsOf, createFakeApi, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('secrets and tokens', () => {
  it('an option that contains ha_secret_ anywhere in a string makes createHalo throw secret_exposed and nothing is sent', () => {
    const api = createFakeApi();
    expect(() =>
      createHalo({
        widgetKey: WIDGET_KEY,
        apiBase: API_BASE,
        launcher: false,
        userId: 'alice',
        userTraits: { note: 'key=ha_secret_0123' },
        fetch: api.fetch,
      }),
    ).toThrow(expect.objectContaining({ code: 'secret_exposed' }));
    expect(api.calls).toHaveLength(0);
  });

  it('an ha_secret_ option makes createHalo throw secret_exposed and nothing is sent', () => {
    const api = createFakeApi();
    expect(() =>
      createHalo({
        widgetKey: WIDGET_KEY,
        apiBase: API_BASE,
        launcher: false,
        userId: 'alice',
        userToken: 'ha_secret_0123',
        fetch: api.fetch,
      }),
    ).toThrow(expect.objectContaining({ code: 'secret_exposed' }));
    expect(api.calls).toHaveLength(0);
  });

  it.each([
    ['the userToken', ['alice', {}, { userToken: 'ha_secret_0123' }]],
    ['the userId', ['ha_secret_0123', {}]],
    ['a trait', ['alice', { note: 'ha_secret_0123' }]],
    ['a trait that contains a secret after other text', ['alice', { note: 'key=ha_secret_0123' }]],
    ['a deeply nested trait that contains a secret', ['alice', { a: { b: [{ c: 'Bearer ha_secret_0123 ok' }] } }]],
  ])('identify rejects with secret_exposed for %s, before anything is sent', async (_what, args) => {
    const api = createFakeApi();
    const client = createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
    await expect((client.identify as (...a: unknown[]) => Promise<void>)(...args)).rejects.toMatchObject({ code: 'secret_exposed' });
    expect(api.calls).toHaveLength(0);
  });

  it('a token whose claims contain a secret is reported as secret_exposed and never sent', async () => {
    const api = createFakeApi();
    const onError = vi.fn();
    const client = createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, onError, fetch: api.fetch });
    const token = tokenFor('alice', 3600, { note: 'key=ha_secret_0123' });
    await client.identify('alice', { name: 'A' }, { userToken: token }).catch(() => undefined);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'secret_exposed' }));
    expect(JSON.stringify(api.calls)).not.toContain(token);
  });

  it('a secret from getUserToken is reported and never sent', async () => {
    const api = createFakeApi();
    const onError = vi.fn();
    const client = createHalo({
      widgetKey: WIDGET_KEY,
      apiBase: API_BASE,
      launcher: false,
      userId: 'alice',
      userTraits: { name: 'A' },
      onError,
      fetch: api.fetch,
      getUserToken: async () => 'ha_secret_0123',
    });
    // No token to send: the call goes without one, the 403 forces one more refresh, then the episode opens.
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired', reason: 'token_refresh_failed' });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'secret_exposed' }));
    expect(JSON.stringify(api.calls)).not.toContain('ha_secret_');
  });

  it("a token for another user_id is never sent as this user's token", async () => {
    const api = createFakeApi();
    const onError = vi.fn();
    const bobs = tokenFor('bob');
    const client = createHalo({
      widgetKey: WIDGET_KEY,
      apiBase: API_BASE,
      launcher: false,
      userId: 'alice',
      userTraits: { name: 'A' },
      userToken: bobs,
      onError,
      fetch: api.fetch,
    });
    await client.history().catch(() => undefined);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'token_user_mismatch' }));
    expect(api.calls.some((c) => c.body.user_token === bobs)).toBe(false);
  });

  it('a mismatched token makes the SDK refresh when it can', async () => {
    const api = createFakeApi();
    const getUserToken = vi.fn(async () => tokenFor('alice'));
    const client = createHalo({
      widgetKey: WIDGET_KEY,
      apiBase: API_BASE,
      launcher: false,
      userId: 'alice',
      userTraits: { name: 'A' },
      userToken: tokenFor('bob'),
      getUserToken,
      onError: () => undefined,
      fetch: api.fetch,
    });
    await client.history();
    expect(getUserToken).toHaveBeenCalledTimes(1);
    expect(api.calls.every((c) => claimsOf(c.body.user_token).user_id === 'alice')).toBe(true);
  });

  it('getUserToken returning a token for another user fails that refresh with token_user_mismatch', async () => {
    const api = createFakeApi();
    const onError = vi.fn();
    const client = createHalo({
      widgetKey: WIDGET_KEY,
      apiBase: API_BASE,
      launcher: false,
      userId: 'alice',
      userTraits: { name: 'A' },
      onError,
      fetch: api.fetch,
      getUserToken: async () => tokenFor('mallory'),
    });
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired', reason: 'token_refresh_failed' });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'token_user_mismatch' }));
    expect(api.calls.some((c) => c.body.user_token)).toBe(false);
  });

  it('no token ever reaches localStorage, sessionStorage, cookies, URLs, logs or error messages', async () => {
    const logs: unknown[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args) => void logs.push(...args));
    }
    const first = tokenFor('alice', 3600, { jti: 'first' });
    const refreshed = tokenFor('alice', 3600, { jti: 'refreshed' });
    const errors: Error[] = [];
    const urls: string[] = [];
    const api = createFakeApi({ judge: (body) => (body.user_token === first ? { reason: 'token_invalid' } : 'ok') });
    const fetchSpy = vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
      urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      return api.fetch(input, init);
    });
    const client = createHalo({
      widgetKey: WIDGET_KEY,
      apiBase: API_BASE,
      launcher: false,
      userId: 'alice',
      userToken: first,
      getUserToken: async () => refreshed,
      onError: (e) => errors.push(e),
      fetch: fetchSpy as typeof fetch,
    });
    await client.sendMessage('hello');
    await client.identify('alice', {}, { userToken: tokenFor('bob') }).catch(() => undefined);
    const everything = [
      JSON.stringify({ ...localStorage }),
      JSON.stringify({ ...sessionStorage }),
      document.cookie,
      urls.join(' '),
      logs.map(String).join(' '),
      errors.map((e) => `${e.message} ${String(e.cause)}`).join(' '),
    ].join('\n');
    for (const t of [first, refreshed]) {
      expect(everything).not.toContain(t);
      expect(everything).not.toContain(t.split('.')[1]);
    }
    expect(errors.length).toBeGreaterThan(0); // the mismatch was reported
  });

  it('an anonymous visitor gets a random visitor_id kept in localStorage and replaced on shutdown', async () => {
    const api = createFakeApi();
    const first = createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
    await first.history();
    const visitorId = api.calls[0]!.body.visitor_id as string;
    expect(visitorId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(localStorage.getItem(`halo:${WIDGET_KEY}:visitor`)).toBe(visitorId);
    expect(api.calls[0]!.body.user_id).toBeUndefined();
    const again = createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
    await again.history();
    expect(api.calls[1]!.body.visitor_id).toBe(visitorId);
    first.shutdown();
    expect(localStorage.getItem(`halo:${WIDGET_KEY}:visitor`)).toBeNull();
    const next = createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
    await next.history();
    expect(api.calls[2]!.body.visitor_id).not.toBe(visitorId);
  });

  it('the visitor id lives in memory where storage throws', async () => {
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    const api = createFakeApi();
    const client = createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
    await client.history();
    await client.history();
    expect(api.calls[0]!.body.visitor_id).toBeTruthy();
    expect(api.calls[1]!.body.visitor_id).toBe(api.calls[0]!.body.visitor_id);
  });
});
