// @vitest-environment happy-dom
// Issue 6: while the browser is offline, messages wait and go out on `online`.
import { afterEach, describe, expect, it } from 'vitest';
import { createHalo } from '../../src/index.js';
import { API_BASE, createFakeApi, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

afterEach(() => {
  Object.defineProperty(navigator, 'onLine', { value: true, configurable: true });
});

describe('offline', () => {
  it('messages sent offline wait, then go out in order when the browser is back online', async () => {
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
    const api = createFakeApi();
    const client = createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
    const first = client.sendMessage('one');
    const second = client.sendMessage('two');
    await new Promise((r) => setTimeout(r, 20));
    expect(api.calls).toHaveLength(0);
    Object.defineProperty(navigator, 'onLine', { value: true, configurable: true });
    window.dispatchEvent(new Event('online'));
    await expect(first).resolves.toMatchObject({ text: 'echo: one' });
    await expect(second).resolves.toMatchObject({ text: 'echo: two' });
    expect(api.of('chat').map((c) => c.body.message)).toEqual(['one', 'two']);
  });
});
