// The first admin on the embedded store, as an operator does it: `agents add` before the
// server runs, then `serve` on the same folder, a login and /inbox; while `serve` holds the
// folder, `agents add` says so instead of opening it.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, cookieOf } from '../../../../test/helpers/agent-http.js';
import { configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';
import { main } from '../../src/cli/main.js';

const config = configFile([{ widgetKey: 'wk_a' }]);
const data = join(config.dir, 'data');
let serve: ServeProcess | undefined;
afterAll(async () => {
  await serve?.stop();
  config.remove();
});

async function add(email: string) {
  const out: string[] = [];
  const code = await main(
    ['agents', 'add', '--email', email, '--name', 'Lee', '--role', 'admin', '--config', config.file, '--data', data],
    {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      env: {},
      readStdin: async () => 'a long password here\n',
    },
  );
  return { code, output: out.join('') };
}

describe('agents add, then serve on the embedded store', () => {
  it('signs the CLI-made admin in to the running server, and refuses a second writer of the folder', async () => {
    expect((await add('lee@x.io')).code).toBe(0);
    serve = await startServe(config.file, ['--data', data]);
    const login = await call(serve.url, 'POST', '/api/agent/login', { body: { email: 'lee@x.io', password: 'a long password here' } });
    expect(login.status).toBe(200);
    const cookie = cookieOf(login);
    expect((await call(serve.url, 'GET', '/api/admin/session', { cookie })).body).toEqual({ account: 'agent lee@x.io' });
    const page = await call(serve.url, 'GET', '/inbox');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const busy = await add('kim@x.io');
    expect(busy.code).toBe(1);
    expect(busy.output).toMatch(/held by a running server \(process \d+\)/);
  }, 120_000);
});
