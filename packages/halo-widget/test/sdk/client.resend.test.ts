// delivered-exactly-once against the real reference API on loopback: an app that re-sends a
// message after a reload, with the clientMessageId it kept, has it stored once.
import { describe, expect, it } from 'vitest';
import { createHalo, type HaloClient } from '../../src/index.js';
import { generateProjectKeys, signUserToken } from '../../src/server/index.js';
import { useHaloServer } from '../../../../test/helpers/server.js';

const { widgetKey, identitySecret } = generateProjectKeys();
const api = useHaloServer(() => ({ projects: [{ widgetKey, identitySecrets: [identitySecret], mode: 'enforce' }] }));

/** A page load: a new client for alice, as after a reload (nothing shared with the last one). */
async function pageLoad(): Promise<HaloClient> {
  const userToken = await signUserToken({ user_id: 'alice', name: 'Alice' }, identitySecret, { expiresIn: 600 });
  return createHalo({ widgetKey, apiBase: api.url, launcher: false, userId: 'alice', userToken, onError: () => undefined });
}

describe('re-sending after a reload', () => {
  it('a message sent again under the clientMessageId the app kept is stored once, and the same reply comes back', async () => {
    const before = await pageLoad();
    const first = await before.sendMessage('Where is my invoice?', { clientMessageId: 'app-msg-0001' });
    before.shutdown();

    // The page reloaded before the app learnt the outcome; it sends what it kept, again.
    const after = await pageLoad();
    const again = await after.sendMessage('Where is my invoice?', { clientMessageId: 'app-msg-0001' });
    expect(again).toEqual(first);
    const stored = (await after.history()).filter((m) => m.role === 'user');
    expect(stored.map((m) => m.text)).toEqual(['Where is my invoice?']);

    // A new id is a new message.
    await after.sendMessage('Where is my invoice?', { clientMessageId: 'app-msg-0002' });
    expect((await after.history()).filter((m) => m.role === 'user')).toHaveLength(2);
    after.shutdown();
  });
});
