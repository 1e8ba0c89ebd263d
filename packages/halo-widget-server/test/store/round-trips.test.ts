// SQL round trips per call on a real PostgreSQL, counted by wrapping the store's client: a
// returning user's chat is one statement (its write), a first chat two (open, write); a server
// that kept a stale copy of an identity reads it afresh instead of answering from it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaloServer, type HaloServer } from '../../src/index.js';
import { createPostgresStore } from '../../src/store/create-postgres-store.js';
import { createPgClient } from '../../src/store/sql-client.js';
import type { SqlConversationStore } from '../../src/store/sql-store.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { call } from '../../../../test/helpers/serve-process.js';
import { silentLogger } from '../../../../test/helpers/server.js';
import { countingClient } from '../../../../test/helpers/stores.js';

const KEY = 'ab_test_roundtrips';
const pg = usePostgres();
let server: HaloServer;
let store: SqlConversationStore;
let client: ReturnType<typeof countingClient>;

beforeAll(async () => {
  client = countingClient(await createPgClient({ connectionString: pg.cluster.url }));
  store = await createPostgresStore({ client });
  server = await startHaloServer({ projects: [{ widgetKey: KEY }], store, logger: silentLogger() });
});
afterAll(async () => {
  await server?.close();
  await store?.close();
});

/** The statements one call sends. */
async function statements(name: string, body: Record<string, unknown>): Promise<string[]> {
  const before = client.texts.length;
  const answer = await call(server.url, name, { widget_key: KEY, ...body });
  expect(answer.status).toBe(200);
  return client.texts.slice(before);
}
const writes = (texts: string[]) => texts.filter((text) => text.includes('insert into messages'));

describe('SQL round trips per call', () => {
  it('a first chat: two statements (open the conversation, store the exchange), one of them the write', async () => {
    const sent = await statements('chat', { visitor_id: 'v-first', message: 'hello', client_message_id: 'cm-1' });
    expect(sent).toHaveLength(2);
    expect(writes(sent)).toHaveLength(1);
  });

  it('a returning user’s chat with the same traits as before: one statement, the write', async () => {
    const traits = { zeta: true, name: 'Ann', email: 'ann@example.com' }; // not in jsonb's sorted order
    await statements('chat', { user_id: 'u-back', message: 'one', user_traits: traits });
    const sent = await statements('chat', { user_id: 'u-back', message: 'two', client_message_id: 'cm-2', user_traits: traits });
    expect(sent).toHaveLength(1);
    expect(writes(sent)).toHaveLength(1);
  });

  it('a chat whose traits changed: one more statement, for the traits', async () => {
    const sent = await statements('chat', {
      user_id: 'u-back',
      message: 'three',
      user_traits: { zeta: true, name: 'Ann', email: 'ann@example.com', plan: 'pro' },
    });
    expect(sent).toHaveLength(2);
    expect(writes(sent)).toHaveLength(1);
  });

  it('a repeated client_message_id: one statement, which answers the reply on record and stores nothing', async () => {
    const first = await call(server.url, 'chat', { widget_key: KEY, visitor_id: 'v-repeat', message: 'once', client_message_id: 'cm-r' });
    const sent = await statements('chat', { visitor_id: 'v-repeat', message: 'once', client_message_id: 'cm-r' });
    expect(sent).toHaveLength(1);
    const again = await call(server.url, 'chat', { widget_key: KEY, visitor_id: 'v-repeat', message: 'once', client_message_id: 'cm-r' });
    expect(again.body.message).toEqual(first.body.message);
    const history = await call(server.url, 'history', { widget_key: KEY, visitor_id: 'v-repeat' });
    expect(history.body.messages).toHaveLength(2);
  });

  it('a chat naming its conversation, on a server that has not read the identity: two statements, ownership checked in the first', async () => {
    const first = await call(server.url, 'chat', { widget_key: KEY, visitor_id: 'v-named', message: 'start' });
    const other = await secondServer();
    try {
      const before = other.client.texts.length;
      const chatIn = (visitor: string, message: string) =>
        call(other.server.url, 'chat', { widget_key: KEY, visitor_id: visitor, message, conversation_id: first.body.conversation_id });
      const answer = await chatIn('v-named', 'more');
      expect(answer.status).toBe(200);
      const sent = other.client.texts.slice(before);
      expect(sent).toHaveLength(2);
      expect(sent[0]).toMatch(/c\.owner = input\.owner/);
      const stranger = await chatIn('v-stranger', 'peek');
      expect(stranger.status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

/** Another server instance on the same database, with its own counted client. */
async function secondServer() {
  const client = countingClient(await createPgClient({ connectionString: pg.cluster.url }));
  const otherStore = await createPostgresStore({ client });
  const other = await startHaloServer({ projects: [{ widgetKey: KEY }], store: otherStore, logger: silentLogger() });
  return {
    client,
    server: other,
    close: async () => {
      await other.close();
      await otherStore.close();
    },
  };
}

describe('what a server kept of an identity', () => {
  it('is not answered from once another instance changed the identity: the chat reads it afresh', async () => {
    // The default reply names no client trait of an unverified request (these are, under mode
    // off), so what each server holds of the identity is read back through `identify`.
    const nameOn = async (url: string) =>
      (await call(url, 'identify', { widget_key: KEY, user_id: 'u-moved' })).body.user.traits.name as string;
    await call(server.url, 'chat', { widget_key: KEY, user_id: 'u-moved', message: 'hi', user_traits: { name: 'Ann' } });
    const other = await secondServer();
    try {
      await call(other.server.url, 'chat', { widget_key: KEY, user_id: 'u-moved', message: 'hi', user_traits: { name: 'Bea' } });
      expect(await nameOn(other.server.url)).toBe('Bea');
    } finally {
      await other.close();
    }
    // This server last read "Ann": its guarded write is refused, it reads the row again (three statements).
    const sent = await statements('chat', { user_id: 'u-moved', message: 'still me' });
    expect(sent).toHaveLength(3);
    expect(writes(sent)).toHaveLength(2);
    await call(server.url, 'chat', { widget_key: KEY, user_id: 'u-moved', message: 'and again' });
    expect(await nameOn(server.url)).toBe('Bea');
    const history = await call(server.url, 'history', { widget_key: KEY, user_id: 'u-moved' });
    expect(history.body.messages.filter((m: { role: string }) => m.role === 'user').map((m: { text: string }) => m.text)).toEqual([
      'hi',
      'hi',
      'still me',
      'and again',
    ]);
  });
});
