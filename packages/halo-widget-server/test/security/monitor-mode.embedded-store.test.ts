// Monitor mode's marks survive a database: the embedded store (PGlite) keeps which messages
// and traits unverified requests wrote, and a verified trait stays protected after a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedStore, generateProjectKeys, signUserToken, startHaloServer, type HaloServer } from '../../src/index.js';
import { silentLogger } from '../../../../test/helpers/server.js';

const { identitySecret: SECRET } = generateProjectKeys();
const KEY = 'ab_test_secembedded';
const dir = mkdtempSync(join(tmpdir(), 'halo-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withServer<T>(run: (post: (call: string, body: object) => Promise<any>) => Promise<T>): Promise<T> {
  const store = await createEmbeddedStore({ dataDir: dir });
  let server: HaloServer | null = null;
  try {
    server = await startHaloServer({
      projects: [{ widgetKey: KEY, identitySecrets: [SECRET], mode: 'monitor' }],
      store,
      logger: silentLogger(),
      rateLimit: false,
    });
    const url = server.url;
    return await run(async (call, body) => {
      const response = await fetch(`${url}/api/sdk/${call}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ widget_key: KEY, ...body }),
      });
      return response.json();
    });
  } finally {
    await server?.close();
    await store.close();
  }
}

describe('monitor mode on the embedded store', () => {
  it('keeps the unverified marks and the verified traits across a restart', async () => {
    const token = await signUserToken({ user_id: 'victim' }, SECRET);
    await withServer(async (post) => {
      await post('chat', { user_id: 'victim', user_token: token, message: 'mine', user_traits: { email: 'victim@acme.test' } });
      await post('chat', { user_id: 'victim', message: 'forged', user_traits: { email: 'attacker@evil.test', plan: 'enterprise' } });
    });
    await withServer(async (post) => {
      const history = await post('history', { user_id: 'victim', user_token: token });
      expect(history.messages.map((m: { unverified?: true }) => m.unverified ?? false)).toEqual([false, false, true, true]);
      const identify = await post('identify', { user_id: 'victim', user_token: token });
      expect(identify.user.traits).toEqual({ email: 'victim@acme.test', plan: 'enterprise' });
      // Another unverified write still cannot touch the verified email.
      await post('identify', { user_id: 'victim', user_traits: { email: 'again@evil.test' } });
      expect((await post('identify', { user_id: 'victim', user_token: token })).user.traits.email).toBe('victim@acme.test');
    });
  }, 60_000);
});
