// getIdentityState() as a store snapshot (useSyncExternalStore): stable until it changes.
import { describe, expect, it } from 'vitest';
import { createHalo, type IdentityState } from '../../src/index.js';
import { API_BASE, createFakeApi, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

const make = (api = createFakeApi(), extra: Record<string, unknown> = {}) =>
  createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch, ...extra });

describe('getIdentityState()', () => {
  it('returns the same object on every call while nothing changed', async () => {
    const client = make(createFakeApi(), { userId: 'alice', userToken: tokenFor('alice'), userTraits: { name: 'Alice' } });
    await client.history();
    const first = client.getIdentityState();
    expect(client.getIdentityState()).toBe(first);
    await client.history();
    expect(client.getIdentityState()).toBe(first);
  });

  it('returns a new object once the state changed, and that object is the identity event’s payload', async () => {
    const client = make();
    const anonymous = client.getIdentityState();
    const events: IdentityState[] = [];
    client.on('identity', (state) => events.push(state));
    await client.identify('bob', { name: 'Bob' }, { userToken: tokenFor('bob') });
    const bob = client.getIdentityState();
    expect(bob).not.toBe(anonymous);
    expect(bob.userId).toBe('bob');
    expect(events.at(-1)).toBe(bob);
    expect(anonymous.userId).toBeNull();
  });

  it('is frozen: an app cannot change the snapshot that other subscribers share', () => {
    const state = make().getIdentityState();
    expect(Object.isFrozen(state)).toBe(true);
  });
});
