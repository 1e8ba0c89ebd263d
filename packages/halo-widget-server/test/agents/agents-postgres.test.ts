// Agent accounts on a real PostgreSQL: `agents add` through DATABASE_URL, then logins on two
// server instances sharing the database (a session started on one is accepted by the other,
// and a logout on one ends it on both), and a `hat_` token from `agents token`.
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { call, cookieOf } from '../../../../test/helpers/agent-http.js';
import { main } from '../../src/cli/main.js';
import { startHaloServer } from '../../src/http/start-halo-server.js';
import { createPostgresStore } from '../../src/store/create-postgres-store.js';

const pg = usePostgres();
const quiet = { info() {}, warn() {}, error: console.error };

async function cli(args: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { DATABASE_URL: pg.cluster.url },
    readStdin: async () => stdin,
  });
  return { code, out: out.join(''), err: err.join('') };
}

describe('agents on PostgreSQL', () => {
  it('shares accounts, sessions and tokens between instances', async () => {
    expect((await cli(['agents', 'add', '--email', 'pat@x.io', '--name', 'Pat', '--role', 'admin'], 'a long password here\n')).code).toBe(
      0,
    );
    const token = (await cli(['agents', 'token', '--email', 'pat@x.io'])).out.trim();
    const stores = [
      await createPostgresStore({ connectionString: pg.cluster.url }),
      await createPostgresStore({ connectionString: pg.cluster.url }),
    ];
    const servers = await Promise.all(
      stores.map((store) => startHaloServer({ projects: [{ widgetKey: 'wk_a' }], store, logger: quiet, agents: {} })),
    );
    try {
      const [one, two] = servers.map((s) => s!.url);
      const login = await call(one!, 'POST', '/api/agent/login', { body: { email: 'pat@x.io', password: 'a long password here' } });
      expect(login.status).toBe(200);
      const cookie = cookieOf(login);
      expect((await call(two!, 'GET', '/api/agent/me', { cookie })).body.agent.email).toBe('pat@x.io');
      expect((await call(two!, 'GET', '/api/agent/me', { headers: { Authorization: `Bearer ${token}` } })).body.agent.email).toBe(
        'pat@x.io',
      );
      expect((await call(two!, 'POST', '/api/agent/logout', { body: {}, cookie })).status).toBe(204);
      expect((await call(one!, 'GET', '/api/agent/me', { cookie })).body.agent).toBeNull();
      const { rows } = await stores[0]!.client.query<{ hash: string }>('select hash from agent_credentials');
      expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
      expect(rows.some((r) => token.includes(r.hash))).toBe(false);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(stores.map((s) => s.close()));
    }
  }, 60_000);
});
