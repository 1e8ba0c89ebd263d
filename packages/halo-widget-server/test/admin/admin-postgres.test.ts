// Two reference servers on one real PostgreSQL: settings changed through one apply on the
// other within the documented delay (2 s), the audit log and the report are shared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS_REFRESH_MS } from '../../src/admin/settings-source.js';
import { generateProjectKeys, signUserToken, startHaloServer, type HaloServer } from '../../src/index.js';
import { createPostgresStore } from '../../src/store/create-postgres-store.js';
import type { SqlConversationStore } from '../../src/store/sql-store.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { silentLogger } from '../../../../test/helpers/server.js';

const TOKEN = 'op_pg_token_0123456789abcdef';
const pg = usePostgres();
const { widgetKey, identitySecret } = generateProjectKeys();
const stores: SqlConversationStore[] = [];
let a: HaloServer;
let b: HaloServer;

async function admin(server: HaloServer, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}/api/admin/${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const chat = (server: HaloServer, userId: string, token?: string) =>
  fetch(`${server.url}/api/sdk/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ widget_key: widgetKey, user_id: userId, user_token: token, message: 'hi' }),
  }).then((r) => r.status);

/** What the documented delay allows: one reload period, plus a second for the reload's own queries on a busy machine. */
const WITHIN_DELAY = { timeout: SETTINGS_REFRESH_MS + 1000, interval: 100 };

beforeAll(async () => {
  const start = async () => {
    const store = await createPostgresStore({ connectionString: pg.cluster.url });
    stores.push(store);
    return startHaloServer({
      projects: [{ widgetKey, identitySecrets: [identitySecret] }],
      store,
      logger: silentLogger(),
      admin: { token: TOKEN, flushMs: 300 },
    });
  };
  // Both start from the same config file: the project is imported once.
  [a, b] = await Promise.all([start(), start()]);
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  for (const store of stores) await store.close();
});

describe('two instances on one PostgreSQL database', () => {
  it('import the config file’s project once and list the same settings', async () => {
    const [fromA, fromB] = await Promise.all([admin(a, 'GET', 'projects'), admin(b, 'GET', 'projects')]);
    expect(fromA.body).toEqual(fromB.body);
    expect(fromA.body.projects).toHaveLength(1);
    expect((await admin(a, 'GET', `projects/${widgetKey}/audit`)).body.audit.map((e: { action: string }) => e.action)).toEqual([
      'project.import',
    ]);
  });

  it('enforce switched through one instance is enforced by the other within the documented delay', async () => {
    expect(await chat(b, 'alice')).toBe(200);
    expect((await admin(a, 'PATCH', `projects/${widgetKey}/settings`, { mode: 'enforce' })).status).toBe(200);
    // The instance that made the change applies it before answering.
    expect(await chat(a, 'alice')).toBe(403);
    await expect.poll(() => chat(b, 'alice'), WITHIN_DELAY).toBe(403);
  });

  it('a secret generated on one and the old one retired on the other: the old token is refused on both', async () => {
    const generated = await admin(b, 'POST', `projects/${widgetKey}/secrets`, {});
    expect(generated.status).toBe(201);
    const fresh = await signUserToken({ user_id: 'alice' }, generated.body.secret, { expiresIn: 600 });
    const old = await signUserToken({ user_id: 'alice' }, identitySecret, { expiresIn: 600 });
    await expect.poll(() => chat(a, 'alice', fresh), WITHIN_DELAY).toBe(200);
    expect(await chat(a, 'alice', old)).toBe(200);
    const oldId = generated.body.project.secrets.find((s: { hint: string }) => s.hint === identitySecret.slice(-4)).id;
    expect((await admin(a, 'POST', `projects/${widgetKey}/secrets/${oldId}/retire`, {})).status).toBe(200);
    expect(await chat(a, 'alice', old)).toBe(403);
    await expect.poll(() => chat(b, 'alice', old), WITHIN_DELAY).toBe(403);
    expect(await chat(b, 'alice', fresh)).toBe(200);
    const stored = await stores[0]!.client.query<{ secret: string }>('select secret from admin_secrets where id = $1', [oldId]);
    expect(stored.rows).toEqual([{ secret: '' }]);
  });

  it('writes every change from both instances to one audit log, and counts both instances’ requests in one report', async () => {
    const actions = (await admin(b, 'GET', `projects/${widgetKey}/audit`)).body.audit.map(
      (e: { action: string; actor: string }) => e.action,
    );
    expect(actions).toEqual(['secret.retire', 'secret.generate', 'settings.update', 'project.import']);
    // Counted so far: b 200 (missing, monitor) · a 403 · b 403s while polling · tokens on both.
    const missing = async () =>
      (await admin(a, 'GET', `projects/${widgetKey}/identity-report`)).body.windows['1h'].results.token_missing.requests;
    const before = await missing();
    expect(before).toBeGreaterThanOrEqual(3);
    await chat(a, 'zoe');
    await chat(b, 'zoe');
    // b's count arrives with its next flush (300 ms here).
    await expect.poll(missing, { timeout: 5000 }).toBe(before + 2);
  });

  it('answers 503 with Retry-After while the database is down, and keeps the last settings in force', async () => {
    await pg.cluster.stop();
    try {
      const response = await fetch(`${a.url}/api/admin/projects`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect((await response.json()).error.code).toBe('service_unavailable');
    } finally {
      await pg.cluster.start();
    }
    expect((await admin(a, 'GET', `projects/${widgetKey}`)).body.project.effectiveMode).toBe('enforce');
  });
});
