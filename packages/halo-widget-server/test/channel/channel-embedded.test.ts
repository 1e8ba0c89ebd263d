// The live channel on the embedded store (PGlite in a folder): its announcements come from the
// database's own NOTIFY in the one process, not from the memory store's direct emit.
import jwt from 'jsonwebtoken';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedStore, generateProjectKeys, startHaloServer, type HaloServer, type SqlConversationStore } from '../../src/index.js';
import { silentLogger } from '../../../../test/helpers/server.js';
import { openChannel } from '../../../../test/helpers/channel-reader.js';
import { chatOnce } from '../store/exchange-helpers.js';

const { identitySecret: SECRET } = generateProjectKeys();
const KEY = 'ab_test_channelembedded';
const dir = mkdtempSync(join(tmpdir(), 'halo-channel-embedded-'));
let store: SqlConversationStore;
let server: HaloServer;

beforeAll(async () => {
  store = await createEmbeddedStore({ dataDir: dir });
  server = await startHaloServer({
    projects: [{ widgetKey: KEY, identitySecrets: [SECRET], mode: 'enforce' }],
    store,
    logger: silentLogger(),
    rateLimit: false,
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('live channel on the embedded store', () => {
  it("an agent's message reaches alice's open channel once, and a reconnect from her cursor gets what came while she was away", async () => {
    const conversation = (await chatOnce(store, KEY, 'user:alice', null, null, 'hello', 'hi'))!.conversation.id;
    const user_token = jwt.sign({ user_id: 'alice', exp: Math.floor(Date.now() / 1000) + 600 }, SECRET);
    const first = await openChannel(server.url, { widget_key: KEY, user_id: 'alice', user_token });
    await first.next('ready');
    await store.appendMessage(KEY, conversation, {
      author: 'agent',
      agent: { id: 'a1', name: 'Ann' },
      text: 'live',
      client_message_id: null,
    });
    expect((await first.next('message', 10_000)).data).toMatchObject({ seq: 3, author: 'agent', text: 'live' });
    first.close();
    await store.appendMessage(KEY, conversation, { author: 'assistant', text: 'while away', client_message_id: null });
    const again = await openChannel(server.url, { widget_key: KEY, user_id: 'alice', user_token, after: { [conversation]: 3 } });
    expect((await again.next('message', 10_000)).data).toMatchObject({ seq: 4, author: 'assistant', text: 'while away' });
    await new Promise((r) => setTimeout(r, 300));
    expect(again.events.filter((e) => e.event === 'message')).toHaveLength(1);
    again.close();
  }, 30_000);
});
