// isOpen(), getUnreadCount() and the open / close / unread events.
import { describe, expect, it } from 'vitest';
import { createHalo } from '../../src/index.js';
import { API_BASE, createFakeApi, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

const make = () => createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: createFakeApi().fetch });

describe('the panel’s state', () => {
  it('open() and close() change isOpen() and fire open / close once per change, even without a launcher', () => {
    const client = make();
    const events: string[] = [];
    client.on('open', () => events.push('open'));
    client.on('close', () => events.push('close'));
    expect(client.isOpen()).toBe(false);
    client.open();
    client.open();
    expect(client.isOpen()).toBe(true);
    client.close();
    client.close();
    expect(client.isOpen()).toBe(false);
    expect(events).toEqual(['open', 'close']);
  });

  it('a reply that arrives while the panel is closed is unread; opening reads it', async () => {
    const client = make();
    const counts: number[] = [];
    client.on('unread', (count) => counts.push(count));
    await client.sendMessage('one');
    await client.sendMessage('two');
    expect(client.getUnreadCount()).toBe(2);
    client.open();
    expect(client.getUnreadCount()).toBe(0);
    expect(counts).toEqual([1, 2, 0]);
  });

  it('a reply that arrives while the panel is open is not unread', async () => {
    const client = make();
    client.open();
    await client.sendMessage('one');
    expect(client.getUnreadCount()).toBe(0);
  });
});
