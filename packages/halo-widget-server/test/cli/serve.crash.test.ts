// nothing-lost across a crash: `kill -9` of a real `halo-widget-server serve` under chat load, then a
// restart on the same database (PostgreSQL, and the embedded store): every message whose chat
// was answered 200 is in the history, none twice, and a retry of an unanswered one stores it once.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { call, configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';

const KEY = 'ab_test_crash';
const config = configFile([{ widgetKey: KEY }]);
afterAll(() => config.remove());
const pg = usePostgres();

const VISITORS = 6;
/** Chats are acknowledged until this many have been, then the server is killed mid-load. */
const ACKNOWLEDGED_BEFORE_KILL = 120;

interface Sent {
  visitor: string;
  text: string;
  clientMessageId: string;
}

/** Visitors each send chats one after another until the server dies; returns what was answered 200 and what was not. */
async function loadUntilKilled(server: ServeProcess): Promise<{ acknowledged: Sent[]; unanswered: Sent[] }> {
  const acknowledged: Sent[] = [];
  const unanswered: Sent[] = [];
  const killed: { once: Promise<void> | null } = { once: null };
  await Promise.all(
    Array.from({ length: VISITORS }, async (_, v) => {
      for (let n = 0; ; n++) {
        const sent = { visitor: `crash-${v}`, text: `v${v} message ${n}`, clientMessageId: `cm-${v}-${n}` };
        try {
          const answer = await call(server.url, 'chat', {
            widget_key: KEY,
            visitor_id: sent.visitor,
            message: sent.text,
            client_message_id: sent.clientMessageId,
          });
          if (answer.status !== 200) throw new Error(`status ${answer.status}`);
          acknowledged.push(sent);
          if (acknowledged.length >= ACKNOWLEDGED_BEFORE_KILL) killed.once ??= server.kill9();
        } catch (error) {
          void error; // the connection died with the server: this message was never acknowledged
          unanswered.push(sent);
          return;
        }
      }
    }),
  );
  await killed.once;
  return { acknowledged, unanswered };
}

async function checkNothingLost(restarted: ServeProcess, acknowledged: Sent[], unanswered: Sent[]) {
  // The client retries what was not answered, with the same client_message_id.
  for (const sent of unanswered) {
    const retry = await call(restarted.url, 'chat', {
      widget_key: KEY,
      visitor_id: sent.visitor,
      message: sent.text,
      client_message_id: sent.clientMessageId,
    });
    expect(retry.status).toBe(200);
  }
  let stored = 0;
  for (let v = 0; v < VISITORS; v++) {
    // One page holds every message of a visitor here (history-pages: at most 200 a page).
    const history = await call(restarted.url, 'history', { widget_key: KEY, visitor_id: `crash-${v}`, limit: 200 });
    expect(history.body.has_more).toBe(false);
    const texts: string[] = history.body.messages.filter((m: { role: string }) => m.role === 'user').map((m: { text: string }) => m.text);
    expect(new Set(texts).size, 'no message twice').toBe(texts.length);
    for (const sent of [...acknowledged, ...unanswered].filter((s) => s.visitor === `crash-${v}`)) expect(texts).toContain(sent.text);
    stored += texts.length;
  }
  expect(stored).toBe(acknowledged.length + unanswered.length);
  return stored;
}

describe('kill -9 under chat load, then a restart on the same database', () => {
  it('loses nothing acknowledged on PostgreSQL', async () => {
    const env = { DATABASE_URL: await pg.cluster.createDatabase('crash') };
    const first = await startServe(config.file, [], env);
    const { acknowledged, unanswered } = await loadUntilKilled(first);
    expect(acknowledged.length).toBeGreaterThanOrEqual(ACKNOWLEDGED_BEFORE_KILL);
    const restarted = await startServe(config.file, [], env);
    try {
      const stored = await checkNothingLost(restarted, acknowledged, unanswered);
      console.log(
        `[crash/postgres] acknowledged ${acknowledged.length}, in flight at the kill ${unanswered.length}, stored after retry ${stored}`,
      );
    } finally {
      await restarted.stop();
    }
  }, 120_000);

  it('loses nothing acknowledged on the embedded store', async () => {
    const args = ['--data', join(config.dir, 'embedded')];
    const first = await startServe(config.file, args);
    const { acknowledged, unanswered } = await loadUntilKilled(first);
    expect(acknowledged.length).toBeGreaterThanOrEqual(ACKNOWLEDGED_BEFORE_KILL);
    const restarted = await startServe(config.file, args);
    try {
      const stored = await checkNothingLost(restarted, acknowledged, unanswered);
      console.log(
        `[crash/embedded] acknowledged ${acknowledged.length}, in flight at the kill ${unanswered.length}, stored after retry ${stored}`,
      );
    } finally {
      await restarted.stop();
    }
  }, 180_000);
});
