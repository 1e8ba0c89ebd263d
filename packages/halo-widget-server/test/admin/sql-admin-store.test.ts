// The SQL admin store on PGlite and on a real PostgreSQL, against the same expectations as
// the memory store: atomic changes with their audit line, secrets blanked when retired,
// summed and bounded report buckets, pruning.
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminOperations } from '../../src/admin/admin-operations.js';
import { USERS_PER_BUCKET, VERSIONS_PER_BUCKET, type AdminStore } from '../../src/admin/admin-store.js';
import { createMemoryAdminStore } from '../../src/admin/memory-admin-store.js';
import { seedProjects } from '../../src/admin/settings-source.js';
import { createSqlAdminStore } from '../../src/admin/sql-admin-store.js';
import { migrate } from '../../src/store/migrate.js';
import { createPgClient, createPgliteClient, type SqlClient } from '../../src/store/sql-client.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';

const pg = usePostgres();
const HOUR = 3600_000;
const T0 = Date.UTC(2026, 11, 1, 12);
const engines: Record<string, () => Promise<{ store: AdminStore; close(): Promise<void> }>> = {
  memory: async () => ({ store: createMemoryAdminStore(), close: async () => {} }),
  pglite: async () => {
    const client = createPgliteClient(await PGlite.create(), { owned: true });
    await migrate(client);
    return { store: createSqlAdminStore(client), close: () => client.close() };
  },
  postgres: async () => {
    const client: SqlClient = await createPgClient({ connectionString: await pg.cluster.createDatabase(`admin_${Date.now()}`) });
    await migrate(client);
    return { store: createSqlAdminStore(client), close: () => client.close() };
  },
};

describe.each(Object.keys(engines))('the %s admin store', (engine) => {
  let store: AdminStore;
  let close: () => Promise<void>;
  const key = 'ab_live_contract';
  beforeAll(async () => {
    ({ store, close } = await engines[engine]!());
    await seedProjects(store, [{ widgetKey: key, identitySecrets: ['ha_secret_first_secret_value'], allowedOrigins: ['https://a.test'] }]);
  }, 60_000);
  afterAll(() => close());

  it('imports a project once, and a second import changes nothing', async () => {
    await seedProjects(store, [{ widgetKey: key, mode: 'enforce' }]);
    const project = (await store.getProject(key))!;
    expect(project).toMatchObject({ widgetKey: key, mode: null, allowedOrigins: ['https://a.test'], maxTokenLifetime: null });
    expect(project.secrets.map((s) => s.secret)).toEqual(['ha_secret_first_secret_value']);
  });

  it('applies a change with its audit line, blanks a retired secret, and lists the audit newest first', async () => {
    const ops = createAdminOperations(store);
    const { secret } = await ops.generateSecret(key, 'tester');
    await ops.updateSettings(key, { mode: 'enforce', maxTokenLifetime: '1h', allowedOrigins: null }, 'tester');
    const first = (await store.getProject(key))!.secrets[0]!;
    await ops.retireSecret(key, first.id, 'tester');
    const project = (await store.listProjects()).find((p) => p.widgetKey === key)!;
    expect(project).toMatchObject({ mode: 'enforce', maxTokenLifetime: '1h', allowedOrigins: null });
    expect(project.secrets.map((s) => [s.secret, s.retiredAt !== null])).toEqual([
      ['', true],
      [secret, false],
    ]);
    const audit = await store.listAudit(key, 10);
    expect(audit.map((e) => e.action)).toEqual(['secret.retire', 'settings.update', 'secret.generate', 'project.import']);
    expect(audit[1]!.detail).toEqual({
      mode: { from: null, to: 'enforce' },
      maxTokenLifetime: { from: null, to: '1h' },
      allowedOrigins: { from: ['https://a.test'], to: null },
    });
    expect(JSON.stringify(audit)).not.toContain('ha_secret_');
  });

  it('writes nothing when a change is refused', async () => {
    const before = await store.listAudit(key, 100);
    await expect(
      store.mutateProject(
        key,
        () => {
          throw new Error('refused');
        },
        new Date(T0).toISOString(),
      ),
    ).rejects.toThrow('refused');
    expect(await store.listAudit(key, 100)).toEqual(before);
    expect(
      await store.mutateProject(
        'ab_live_missing',
        () => {
          throw new Error('never called');
        },
        new Date(T0).toISOString(),
      ),
    ).toBeNull();
  });

  it('sums counts, keeps at most the bounded users and versions per bucket, and prunes old buckets', async () => {
    const users = Array.from({ length: USERS_PER_BUCKET + 20 }, (_, i) => `u${i}`);
    const versions = Object.fromEntries(Array.from({ length: VERSIONS_PER_BUCKET + 5 }, (_, i) => [`v${i}`, 2]));
    await store.addIdentityBatches([
      { widgetKey: key, hour: T0, counts: { token_missing: 5, verified: 1 }, users: { token_missing: users.slice(0, 150) }, versions },
    ]);
    await store.addIdentityBatches([
      { widgetKey: key, hour: T0, counts: { token_missing: 7 }, users: { token_missing: users.slice(100) }, versions: { v0: 1 } },
    ]);
    await store.addIdentityBatches([{ widgetKey: key, hour: T0 - 8 * 24 * HOUR, counts: { verified: 3 }, users: {}, versions: {} }]);
    const rows = await store.readIdentity(key, T0 - 9 * 24 * HOUR);
    const count = (hour: number, result: string) => rows.counts.find((r) => r.hour === hour && r.result === result)?.count;
    expect(count(T0, 'token_missing')).toBe(12);
    expect(count(T0 - 8 * 24 * HOUR, 'verified')).toBe(3);
    expect(rows.users.filter((r) => r.hour === T0)).toHaveLength(USERS_PER_BUCKET);
    expect(rows.versions.filter((r) => r.hour === T0)).toHaveLength(VERSIONS_PER_BUCKET + 1);
    expect(rows.versions.find((r) => r.version === 'v0')!.count).toBe(3);
    expect(rows.versions.find((r) => r.version === 'other')!.count).toBe(10);
    await store.pruneIdentity(T0 - 7 * 24 * HOUR);
    const kept = await store.readIdentity(key, 0);
    expect(kept.counts.every((r) => r.hour === T0)).toBe(true);
  });
});
