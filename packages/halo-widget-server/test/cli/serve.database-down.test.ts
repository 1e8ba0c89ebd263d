// The database down or unreachable: a real `halo-widget-server serve` answers 503 with Retry-After
// and logs the cause (never a 500, never a crash, never the password), and serves again by
// itself once the database is back — also when it was not there at start.
import { afterAll, describe, expect, it } from 'vitest';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { call, configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';

const KEY = 'ab_test_down';
const PASSWORD = 'Pw-never-in-a-log-42';
const config = configFile([{ widgetKey: KEY }]);
afterAll(() => config.remove());
const pg = usePostgres();

/** The cluster's URL with a password (trust authentication ignores it), to check it never leaks. */
const withPassword = (url: string) => url.replace('postgres://halo@', `postgres://halo:${PASSWORD}@`);

async function until<T>(attempt: () => Promise<T>, ok: (value: T) => boolean, seconds = 30): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await attempt();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function expectNoSecret(server: ServeProcess, url: string) {
  expect(server.output()).not.toContain(PASSWORD);
  expect(server.output()).not.toContain(url);
}

describe('serve with PostgreSQL going away', () => {
  it('answers 503 with Retry-After while the database is down, logs why, and recovers by itself', async () => {
    const url = withPassword(await pg.cluster.createDatabase('down'));
    const server = await startServe(config.file, [], { DATABASE_URL: url });
    try {
      expect(server.output()).toContain('PostgreSQL at 127.0.0.1');
      const before = await call(server.url, 'chat', {
        widget_key: KEY,
        visitor_id: 'v',
        message: 'before',
        client_message_id: 'cm-before',
      });
      expect(before.status).toBe(200);
      await pg.cluster.stop();
      try {
        for (const name of ['chat', 'history', 'identify']) {
          const down = await call(server.url, name, { widget_key: KEY, visitor_id: 'v', message: 'during', user_traits: { a: 1 } });
          expect(down.status).toBe(503);
          expect(down.headers.get('retry-after')).toBe('2');
          expect(down.body).toEqual({ error: { code: 'service_unavailable', message: expect.any(String) } });
          expect(JSON.stringify(down.body)).not.toMatch(/at .*\.m?js|ECONN|127\.0\.0\.1/);
        }
        await expect.poll(() => server.output()).toMatch(/answering 503: database unavailable/);
      } finally {
        await pg.cluster.start();
      }
      const after = await until(
        () => call(server.url, 'chat', { widget_key: KEY, visitor_id: 'v', message: 'after', client_message_id: 'cm-after' }),
        (answer) => answer.status === 200,
      );
      expect(after.status).toBe(200);
      const history = await call(server.url, 'history', { widget_key: KEY, visitor_id: 'v' });
      expect(history.body.messages.filter((m: { role: string }) => m.role === 'user').map((m: { text: string }) => m.text)).toEqual([
        'before',
        'after',
      ]);
      expectNoSecret(server, url);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('waits for a database that is not there at start, then serves', async () => {
    const url = withPassword(await pg.cluster.createDatabase('late'));
    await pg.cluster.stop();
    let server: ServeProcess | null = null;
    try {
      const starting = startServe(config.file, [], { DATABASE_URL: url });
      // Let it fail to connect at least once before the database comes.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await pg.cluster.start();
      server = await starting;
      expect(server.output()).toMatch(/not reachable yet, retrying/);
      expect((await call(server.url, 'chat', { widget_key: KEY, visitor_id: 'w', message: 'hi' })).status).toBe(200);
      expectNoSecret(server, url);
    } finally {
      await pg.cluster.start().catch((error: unknown) => void error); // already running
      await server?.stop();
    }
  }, 120_000);
});
