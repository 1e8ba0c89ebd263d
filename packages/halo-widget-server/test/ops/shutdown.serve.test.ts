// SIGTERM on a real `serve` process on a real PostgreSQL: stop accepting, finish what is in flight, exit in time.
import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { startHaloServer } from '../../src/index.js';
import { createPostgresStore } from '../../src/store/create-postgres-store.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { silentLogger } from '../../../../test/helpers/server.js';
import { configFile, startServe } from '../../../../test/helpers/serve-process.js';

const pg = usePostgres();
const config = configFile([{ widgetKey: 'ab_test_stop' }]);
afterAll(() => config.remove());

/** Starts a chat POST and sends only the first half of its body; answers how to send the rest and the answer. */
function halfSentChat(url: string, message: string) {
  const body = Buffer.from(JSON.stringify({ widget_key: 'ab_test_stop', visitor_id: 'v-stop', client_message_id: 'c-1', message }));
  const req = request(`${url}/api/sdk/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
  });
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
  });
  req.write(body.subarray(0, 20));
  return { finish: () => req.end(body.subarray(20)), answered };
}

describe('serve on SIGTERM', () => {
  it('refuses new connections, answers the chat still arriving (and it is stored), then exits 0', async () => {
    const serve = await startServe(config.file, ['--shutdown-timeout', '30', '--log-format', 'pretty'], { DATABASE_URL: pg.cluster.url });
    try {
      const inFlight = halfSentChat(serve.url, 'typed before the deploy');
      await new Promise((r) => setTimeout(r, 300));
      serve.signal('SIGTERM');
      await expect.poll(() => serve.output(), { timeout: 10_000 }).toMatch(/finishing calls in flight/);
      // Stopped accepting: a new connection is refused.
      await expect(fetch(`${serve.url}/healthz`)).rejects.toThrow();
      inFlight.finish();
      const answer = await inFlight.answered;
      expect(answer.status).toBe(200);
      const { conversation_id: conversationId } = JSON.parse(answer.text) as { conversation_id: string };
      expect(await serve.exited).toBe(0);
      const store = await createPostgresStore({ connectionString: pg.cluster.url });
      try {
        const page = await store.readMessages('ab_test_stop', conversationId, { limit: 200 });
        const texts = (page?.messages ?? []).map((m) => m.text);
        expect(texts).toContain('typed before the deploy');
      } finally {
        await store.close();
      }
    } finally {
      await serve.kill9();
    }
  }, 120_000);

  it('exits within --shutdown-timeout even while a client never finishes its request', async () => {
    const serve = await startServe(config.file, ['--shutdown-timeout', '1', '--log-format', 'pretty'], { DATABASE_URL: pg.cluster.url });
    try {
      const stalled = halfSentChat(serve.url, 'never finished');
      stalled.answered.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      serve.signal('SIGTERM');
      expect(await serve.exited).toBe(0);
      // 1 s of grace, then the store closes; well inside the hard bound of grace + 5 s.
      expect(Date.now() - started).toBeLessThan(6_000);
      expect(serve.output()).toMatch(/1 call\(s\) still running after 1000 ms/);
    } finally {
      await serve.kill9();
    }
  }, 120_000);
});

describe('shutdown hooks', () => {
  it('onShutdown hooks run with the retry hint before shutdown resolves', async () => {
    const server = await startHaloServer({ logger: silentLogger(), projects: [{ widgetKey: 'ab_test_hook' }] });
    const told: number[] = [];
    server.onShutdown(async ({ retryAfterSeconds }) => {
      await new Promise((r) => setTimeout(r, 50));
      told.push(retryAfterSeconds);
    });
    const result = await server.shutdown({ graceMs: 2_000, retryAfterSeconds: 7 });
    expect(told).toEqual([7]);
    expect(result.unfinished).toBe(0);
  });
});
