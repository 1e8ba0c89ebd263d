import { afterEach, describe, expect, it, vi } from 'vitest';
import { Halo } from '../../src/index.js';
import { API_BASE, createFakeApi, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

afterEach(() => Halo.shutdown());

describe('Halo singleton', () => {
  it('forwards every method to the client made by init', async () => {
    const api = createFakeApi();
    const client = Halo.init({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
    const onMessage = vi.fn();
    Halo.on('message', onMessage);
    await expect(Halo.sendMessage('hi')).resolves.toMatchObject({ text: 'echo: hi' });
    await expect(Halo.history()).resolves.toEqual([]);
    await Halo.identify('alice', { name: 'Alice' }, { userToken: tokenFor('alice') });
    expect(Halo.getIdentityState()).toMatchObject({ userId: 'alice', status: 'identified' });
    expect(client.getIdentityState()).toEqual(Halo.getIdentityState());
    expect(onMessage).toHaveBeenCalledTimes(2);
    Halo.open();
    Halo.close();
  });

  it('forwards the queue API: sendMessage with a clientMessageId, getPendingMessages and cancel', async () => {
    expect(Halo.getPendingMessages()).toEqual([]); // nothing pending, and no throw, before init
    const api = createFakeApi();
    const client = Halo.init({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
    const first = Halo.sendMessage('one', { clientMessageId: 'c-1' });
    const second = Halo.sendMessage('two', { clientMessageId: 'c-2' });
    expect(Halo.getPendingMessages().map((m) => m.clientMessageId)).toEqual(['c-1', 'c-2']);
    expect(Halo.getPendingMessages()).toBe(client.getPendingMessages());
    expect(Halo.cancel('c-2')).toBe(true);
    await expect(second).rejects.toMatchObject({ code: 'cancelled', reason: 'not_sent' });
    await first;
    expect(api.of('chat').map((c) => c.body.client_message_id)).toEqual(['c-1']);
  });

  it('onError for a bad userToken given to init can already use Halo: it sees the new client', async () => {
    const seen: Array<string | null> = [];
    Halo.init({
      widgetKey: WIDGET_KEY,
      apiBase: API_BASE,
      launcher: false,
      fetch: createFakeApi().fetch,
      userId: 'alice',
      userTraits: { name: 'Alice' },
      userToken: 'not-a-jwt',
      onError: () => seen.push(Halo.getIdentityState().userId),
    });
    await Promise.resolve();
    expect(seen).toEqual(['alice']);
  });

  it('a second init shuts the first client down', async () => {
    const api = createFakeApi();
    const first = Halo.init({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
    const second = Halo.init({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
    await expect(first.sendMessage('x')).rejects.toMatchObject({ code: 'shutdown' });
    await expect(second.sendMessage('x')).resolves.toBeTruthy();
  });

  it('an invalid second init throws and keeps the first client running', async () => {
    const api = createFakeApi();
    const first = Halo.init({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
    expect(() => Halo.init({ widgetKey: 'nope' })).toThrow(expect.objectContaining({ code: 'invalid_options' }));
    await expect(first.sendMessage('x')).resolves.toBeTruthy();
  });

  it('after Halo.shutdown, promise methods reject with shutdown and the state is anonymous', async () => {
    Halo.init({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: createFakeApi().fetch });
    Halo.shutdown();
    await expect(Halo.sendMessage('x')).rejects.toMatchObject({ code: 'shutdown' });
    expect(Halo.getIdentityState()).toMatchObject({ userId: null, status: 'anonymous' });
  });
});
