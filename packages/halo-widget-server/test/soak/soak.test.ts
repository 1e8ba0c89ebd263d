// Issue 6: a steady load that adds nothing to the store must not grow the server's heap.
// A few seconds in the default run; `npm run test:soak` runs three minutes.
import jwt from 'jsonwebtoken';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SECONDS = Number(process.env.HALO_SOAK_SECONDS ?? (process.env.HALO_SOAK ? 180 : 6));
const SECRET = 'ha_secret_soak_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
const KEY = 'ab_test_soak000000';
let child: ChildProcess;
let url = '';

beforeAll(async () => {
  if (!existsSync(new URL('../../dist/index.mjs', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` first');
  const config = { projects: [{ widgetKey: KEY, identitySecrets: [SECRET], mode: 'enforce' }], rateLimit: { burst: 1e9, perSecond: 1e9 } };
  child = spawn(
    process.execPath,
    ['--expose-gc', fileURLToPath(new URL('../soak/soak-server.mjs', import.meta.url)), JSON.stringify(config)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  url = await new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening on (\S+)/.exec(String(chunk));
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`soak server exited with ${code}`)));
  });
});

afterAll(() => {
  child?.kill('SIGTERM');
});

const heap = async () => ((await (await fetch(`${url}/__memory`)).json()) as { heapUsed: number }).heapUsed;

describe('soak', () => {
  it(`${SECONDS} s of steady load without growing the heap beyond the store's data`, async () => {
    const tokens = ['alice', 'bob', 'carol'].map((u) => jwt.sign({ user_id: u, name: u }, SECRET, { expiresIn: '1h' }));
    const post = (call: string, body: unknown) =>
      fetch(`${url}/api/sdk/${call}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(
        async (r) => (await r.arrayBuffer(), r.status),
      );
    // The store's own data: one exchange per user, then only requests that store nothing new.
    for (const [i, user] of ['alice', 'bob', 'carol'].entries()) {
      await post('chat', { widget_key: KEY, user_id: user, user_token: tokens[i], message: 'hello', client_message_id: `first-${user}` });
    }
    const mix = (n: number) => {
      const i = n % 3;
      const user = ['alice', 'bob', 'carol'][i]!;
      switch (n % 6) {
        case 0:
          return post('chat', {
            widget_key: KEY,
            user_id: user,
            user_token: tokens[i],
            message: 'hello',
            client_message_id: `first-${user}`,
          });
        case 1:
          return post('history', { widget_key: KEY, user_id: user, user_token: tokens[i] });
        case 2:
          return post('identify', { widget_key: KEY, user_id: user, user_token: tokens[i], user_traits: { plan: 'pro' } });
        case 3:
          return post('chat', { widget_key: KEY, user_id: user, user_token: 'garbage', message: 'x' });
        case 4:
          return post('chat', { widget_key: KEY, user_id: user, message: '' });
        default:
          return post('nope', {});
      }
    };
    const statuses = new Map<number, number>();
    let n = 0;
    const runFor = async (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const batch = await Promise.all(Array.from({ length: 20 }, () => mix(n++)));
        for (const s of batch) statuses.set(s, (statuses.get(s) ?? 0) + 1);
      }
    };
    await runFor(Math.min(2000, (SECONDS * 1000) / 3)); // warm up: JIT, caches, buckets
    const before = await heap();
    await runFor(SECONDS * 1000);
    const after = await heap();
    const growthMb = (after - before) / 1024 / 1024;
    console.info(
      `[soak] ${n} requests in ${SECONDS} s; heap ${(before / 1048576).toFixed(1)} → ${(after / 1048576).toFixed(1)} MB (${growthMb >= 0 ? '+' : ''}${growthMb.toFixed(2)} MB); statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    expect(growthMb).toBeLessThan(3);
  }, 600_000);
});
