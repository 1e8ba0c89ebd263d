// Several instances: two real `halo-widget-server serve` processes on one PostgreSQL serve the same
// users — what one stores, the other lists; one client_message_id sent to both at once is
// stored once and both answers carry the same reply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { call, configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';

const KEY = 'ab_test_instances';
const config = configFile([{ widgetKey: KEY }]);
const pg = usePostgres();
let a: ServeProcess;
let b: ServeProcess;

beforeAll(async () => {
  const env = { DATABASE_URL: await pg.cluster.createDatabase('instances') };
  // Both start at once: the migrations take turns under their lock.
  [a, b] = await Promise.all([startServe(config.file, [], env), startServe(config.file, [], env)]);
}, 120_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  config.remove();
});

const visitor = (id: string) => ({ widget_key: KEY, visitor_id: id });

describe('two serve processes on one PostgreSQL', () => {
  it('list in history, through one, the messages sent through the other', async () => {
    const first = await call(a.url, 'chat', { ...visitor('v-both'), message: 'via a', client_message_id: 'cm-a' });
    const second = await call(b.url, 'chat', { ...visitor('v-both'), message: 'via b', client_message_id: 'cm-b' });
    expect(first.status).toBe(200);
    expect(second.body.conversation_id).toBe(first.body.conversation_id);
    for (const server of [a, b]) {
      const history = await call(server.url, 'history', visitor('v-both'));
      expect(history.body.messages.map((m: { text: string }) => m.text).filter((t: string) => t.startsWith('via'))).toEqual([
        'via a',
        'via b',
      ]);
    }
  });

  it('store one client_message_id sent to both at once exactly once, both answering the same reply', async () => {
    for (let round = 0; round < 10; round++) {
      // A fresh visitor each round: the race includes starting the conversation.
      const body = { ...visitor(`v-race-${round}`), message: `race ${round}`, client_message_id: `cm-race-${round}` };
      const [fromA, fromB] = await Promise.all([call(a.url, 'chat', body), call(b.url, 'chat', body)]);
      expect([fromA.status, fromB.status]).toEqual([200, 200]);
      expect(fromB.body.message).toEqual(fromA.body.message);
      expect(fromB.body.conversation_id).toBe(fromA.body.conversation_id);
      const history = await call(b.url, 'history', visitor(`v-race-${round}`));
      expect(history.body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    }
  }, 60_000);

  it('keep one identity’s traits, written through one, for the other', async () => {
    await call(a.url, 'identify', { widget_key: KEY, user_id: 'u-traits', user_traits: { name: 'Ann', plan: 'pro' } });
    const seen = await call(b.url, 'identify', { widget_key: KEY, user_id: 'u-traits' });
    expect(seen.body.user.traits).toEqual({ name: 'Ann', plan: 'pro' });
  });
});
