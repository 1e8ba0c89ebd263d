// Issue 27: a hung database (its processes stopped with SIGSTOP) held requests forever. Now a
// statement and a query timeout answer them 503 with Retry-After. A real `serve` process on a
// real PostgreSQL cluster.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { configFile, startServe } from '../../../../test/helpers/serve-process.js';

const KEY = 'ab_test_hung_db_0123456';
const pg = usePostgres();
const config = configFile([{ widgetKey: KEY }]);
afterAll(() => config.remove());

/** The postmaster of the cluster on `port` and its children (every backend). */
function clusterPids(port: number): string[] {
  const postmaster = execFileSync('pgrep', ['-f', '--', `-p ${port} `], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean);
  const children = postmaster.flatMap((pid) => {
    try {
      return execFileSync('pgrep', ['-P', pid], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    } catch (error) {
      // pgrep exits 1 when nothing matches.
      if ((error as { status?: number }).status === 1) return [];
      throw error;
    }
  });
  return [...postmaster, ...children];
}

const chat = (url: string, visitor: string) =>
  fetch(`${url}/api/sdk/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ widget_key: KEY, visitor_id: visitor, message: 'hi' }),
    signal: AbortSignal.timeout(40_000),
  });

describe('a hung database', () => {
  it('gets each request answered 503 with Retry-After within seconds, and the server serves again once it resumes', async () => {
    const serve = await startServe(config.file, [], { DATABASE_URL: pg.cluster.url });
    const pids = clusterPids(pg.cluster.port);
    expect(pids.length).toBeGreaterThan(1);
    try {
      expect((await chat(serve.url, 'before')).status).toBe(200);
      execFileSync('kill', ['-STOP', ...pids]);
      const answers = await Promise.all(['a', 'b', 'c'].map((v) => chat(serve.url, `hung-${v}`)));
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(answer.headers.get('retry-after')).toBeTruthy();
      }
    } finally {
      execFileSync('kill', ['-CONT', ...pids]);
    }
    // Resumed: served again (a fresh pool connection if the timed-out one is gone).
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i += 1) {
      status = (await chat(serve.url, 'after')).status;
      if (status !== 200) await new Promise((done) => setTimeout(done, 500));
    }
    expect(status).toBe(200);
    await serve.stop();
  }, 120_000);
});
