// @vitest-environment happy-dom
// Held messages survive a navigation (issue 26): kept per widget key and user id (text and
// client message id only), sent once the same user is signed in again, each once; dropped on
// shutdown(); never sent as another user.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHalo, type HaloClient } from '../../src/index.js';
import { API_BASE, createFakeApi, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

const KEY = `halo:held:${WIDGET_KEY}:alice`;
const clients: HaloClient[] = [];
beforeEach(() => {
  localStorage.clear();
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  clients.splice(0).forEach((client) => client.destroy());
  vi.restoreAllMocks();
});

function client(fetch: typeof globalThis.fetch, userId: string, getUserToken: () => Promise<string>): HaloClient {
  const made = createHalo({
    widgetKey: WIDGET_KEY,
    apiBase: API_BASE,
    launcher: false,
    fetch,
    userId,
    userTraits: { name: 'A' },
    getUserToken,
  });
  clients.push(made);
  return made;
}

/** Alice types two messages while her identity has expired (every token refused, getUserToken fails). */
async function typedWhileExpired(): Promise<{ expiredToken: string }> {
  const expiredToken = tokenFor('alice', 3600, { jti: 'dead' });
  const refused = createFakeApi({ judge: () => ({ reason: 'token_expired' }) });
  let first = true;
  const alice = client(refused.fetch, 'alice', async () => {
    if (first) return ((first = false), expiredToken);
    throw new Error('signed out');
  });
  void alice.sendMessage('first words').catch(() => undefined);
  void alice.sendMessage('second words').catch(() => undefined);
  await vi.waitFor(() => expect(alice.getPendingMessages().every((m) => m.state === 'held')).toBe(true));
  return { expiredToken };
}

describe('held messages across a re-login', () => {
  it('are kept in localStorage per widget key and user, with text and id only — never a token', async () => {
    const { expiredToken } = await typedWhileExpired();
    const kept = localStorage.getItem(KEY)!;
    expect(JSON.parse(kept).map((pair: string[]) => pair[1])).toEqual(['first words', 'second words']);
    expect(kept).not.toContain(expiredToken.split('.')[1]);
  });

  it('are sent once the same user is signed in again (after a reload), each once, and then forgotten', async () => {
    await typedWhileExpired();
    const ids = (JSON.parse(localStorage.getItem(KEY)!) as string[][]).map((pair) => pair[0]);
    clients.splice(0).forEach((c) => c.destroy()); // the page navigates away
    const api = createFakeApi();
    const again = client(api.fetch, 'alice', async () => tokenFor('alice'));
    await vi.waitFor(() => expect(api.of('chat')).toHaveLength(2));
    await vi.waitFor(() => expect(again.getPendingMessages()).toHaveLength(0));
    expect(api.of('chat').map((c) => [c.body.client_message_id, c.body.message, c.body.user_id])).toEqual([
      [ids[0], 'first words', 'alice'],
      [ids[1], 'second words', 'alice'],
    ]);
    expect(localStorage.getItem(KEY)).toBeNull();
  });

  it('are never sent as another user, and stay kept for their own', async () => {
    await typedWhileExpired();
    clients.splice(0).forEach((c) => c.destroy());
    const api = createFakeApi();
    const bob = client(api.fetch, 'bob', async () => tokenFor('bob'));
    await bob.sendMessage('bob here');
    expect(api.of('chat').map((c) => c.body.message)).toEqual(['bob here']);
    expect(localStorage.getItem(KEY)).not.toBeNull();
  });

  it('are dropped by shutdown() (a logout)', async () => {
    await typedWhileExpired();
    clients.splice(0).forEach((c) => c.shutdown());
    expect(localStorage.getItem(KEY)).toBeNull();
  });
});
