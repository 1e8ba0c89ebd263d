// @vitest-environment happy-dom
// destroy(): a teardown that is not a logout (an unmounted React provider, a test's cleanup).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHalo } from '../../src/index.js';
import { API_BASE, createFakeApi, deferred, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

beforeEach(() => {
  localStorage.clear();
  // happy-dom has no navigator.locks (see the toolchain notes): the SDK falls back to one tab.
  vi.stubGlobal('navigator', { ...navigator, locks: undefined });
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

const make = (api: ReturnType<typeof createFakeApi>, extra: Record<string, unknown> = {}) =>
  createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch, ...extra });

describe('destroy()', () => {
  it('keeps the visitor id, so the next client continues the anonymous conversation', async () => {
    const api = createFakeApi();
    const first = make(api);
    await first.sendMessage('before the remount');
    const visitorId = api.of('chat')[0]!.body.visitor_id as string;
    first.destroy();
    expect(localStorage.getItem(`halo:${WIDGET_KEY}:visitor`)).toBe(visitorId);
    const next = make(api);
    await next.history();
    expect(api.of('history')[0]!.body.visitor_id).toBe(visitorId);
  });

  it('ends the client: calls cut short and later calls reject with shutdown, a second destroy does nothing', async () => {
    const gate = deferred<Response | undefined>();
    const api = createFakeApi({ intercept: (call) => (call === 'chat' ? gate.promise : undefined) });
    const onError = vi.fn();
    const client = make(api, { onError });
    const inFlight = client.sendMessage('cut short');
    await vi.waitFor(() => expect(api.of('chat')).toHaveLength(1));
    client.destroy();
    gate.resolve(undefined);
    await expect(inFlight).rejects.toMatchObject({ code: 'shutdown' });
    await expect(client.sendMessage('after')).rejects.toMatchObject({ code: 'shutdown' });
    await expect(client.history()).rejects.toMatchObject({ code: 'shutdown' });
    expect(() => client.open()).toThrow(expect.objectContaining({ code: 'shutdown' }));
    expect(() => client.destroy()).not.toThrow();
    expect(() => client.shutdown()).not.toThrow();
    // The app asked for it: not an error to report.
    expect(onError).not.toHaveBeenCalled();
  });

  it('forgets the signed-in user’s token and reports anonymous, like shutdown()', () => {
    const client = make(createFakeApi(), { userId: 'alice', userToken: tokenFor('alice'), userTraits: { name: 'Alice' } });
    client.destroy();
    expect(client.getIdentityState()).toEqual({ userId: null, status: 'anonymous', verified: null, tokenExpiresAt: null });
  });

  it('removes the launcher', async () => {
    const client = make(createFakeApi(), { launcher: true });
    await vi.waitFor(() => expect(document.querySelectorAll('halo-widget')).toHaveLength(1));
    client.destroy();
    expect(document.querySelectorAll('halo-widget')).toHaveLength(0);
  });

  it('before the launcher has loaded, no launcher is ever mounted', async () => {
    const client = make(createFakeApi(), { launcher: true });
    client.destroy();
    // The widget chunk's dynamic import settles in a few turns.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(document.querySelectorAll('halo-widget')).toHaveLength(0);
  });
});
