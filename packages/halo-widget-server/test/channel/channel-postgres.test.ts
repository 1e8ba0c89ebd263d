// The live channel on PostgreSQL, where it differs from one process: announcements cross
// instances (LISTEN/NOTIFY), and a listener that lost its connection announces `resync`, after
// which every open channel catches up from its cursors. A real cluster, real servers.
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPostgresStore,
  generateProjectKeys,
  startHaloServer,
  type ConversationStore,
  type HaloServer,
  type SqlConversationStore,
} from '../../src/index.js';
import { silentLogger } from '../../../../test/helpers/server.js';
import { openChannel, type ChannelReader } from '../../../../test/helpers/channel-reader.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { chatOnce } from '../store/exchange-helpers.js';

const { identitySecret: SECRET } = generateProjectKeys();
const KEY = 'ab_test_channelpg';
const token = (userId: string) => jwt.sign({ user_id: userId, exp: Math.floor(Date.now() / 1000) + 600 }, SECRET);
const postgres = usePostgres();

const servers: HaloServer[] = [];
const stores: SqlConversationStore[] = [];
const readers: ChannelReader[] = [];
afterEach(async () => {
  readers.splice(0).forEach((r) => r.close());
  for (const server of servers.splice(0)) await server.close();
  for (const store of stores.splice(0)) await store.close();
});

/** An instance: its own store (pool and listener) on the one database, and its own server. */
async function instance(database: string): Promise<{ url: string; store: ConversationStore }> {
  const store = await createPostgresStore({ connectionString: database });
  stores.push(store);
  const server = await startHaloServer({
    projects: [{ widgetKey: KEY, identitySecrets: [SECRET], mode: 'enforce' }],
    store,
    logger: silentLogger(),
    rateLimit: false,
  });
  servers.push(server);
  return { url: server.url, store };
}
const agentWrites = (store: ConversationStore, conversation: string, text: string) =>
  store.appendMessage(KEY, conversation, { author: 'agent', agent: { id: 'a1', name: 'Ann' }, text, client_message_id: null });

describe('live channel on PostgreSQL', () => {
  it("a message written through instance B reaches alice's channel on instance A", async () => {
    const database = await postgres.cluster.createDatabase('cross');
    const a = await instance(database);
    const b = await instance(database);
    const conversation = (await chatOnce(b.store, KEY, 'user:alice', null, null, 'hello', 'hi'))!.conversation.id;
    const alice = await openChannel(a.url, { widget_key: KEY, user_id: 'alice', user_token: token('alice') });
    readers.push(alice);
    await alice.next('ready');
    await agentWrites(b.store, conversation, 'from B');
    expect((await alice.next('message')).data).toMatchObject({ conversation_id: conversation, seq: 3, text: 'from B' });
  });

  it("after the store's listener lost its connection, a message announced meanwhile still reaches the open channel (resync)", async () => {
    const database = await postgres.cluster.createDatabase('resync');
    const a = await instance(database);
    const conversation = (await chatOnce(a.store, KEY, 'user:alice', null, null, 'hello', 'hi'))!.conversation.id;
    const alice = await openChannel(a.url, { widget_key: KEY, user_id: 'alice', user_token: token('alice'), after: { [conversation]: 2 } });
    readers.push(alice);
    await alice.next('ready');
    const admin = new pg.Client({ connectionString: database });
    await admin.connect();
    try {
      const listeners = `select pid from pg_stat_activity where datname = current_database() and query ilike 'listen %' and pid <> pg_backend_pid()`;
      await admin.query(`select pg_terminate_backend(pid) from (${listeners}) l`);
      // Written while nobody listens: its NOTIFY reaches no one (the listener reconnects 250 ms later).
      await expect.poll(async () => (await admin.query(listeners)).rowCount, { timeout: 5000, interval: 10 }).toBe(0);
      await agentWrites(a.store, conversation, 'while deaf');
    } finally {
      await admin.end();
    }
    expect((await alice.next('message', 10_000)).data).toMatchObject({ seq: 3, text: 'while deaf' });
    await agentWrites(a.store, conversation, 'after');
    expect((await alice.next('message')).data).toMatchObject({ seq: 4, text: 'after' });
    expect(alice.events.filter((e) => e.event === 'message').map((e) => e.data.seq)).toEqual([3, 4]);
  }, 30_000);
});
