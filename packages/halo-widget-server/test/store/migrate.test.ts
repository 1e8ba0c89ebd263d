// Schema migrations on a real PostgreSQL cluster (and PGlite): applied once, in order, safe
// when two instances start at once, and easy to extend with a later version.
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/schema.js';
import { createPgClient, createPgliteClient, type SqlClient } from '../../src/store/sql-client.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';

const pg = usePostgres();
let databases = 0;
const clients: SqlClient[] = [];
async function freshDatabase(): Promise<string> {
  return pg.cluster.createDatabase(`migrate_${++databases}`);
}
async function connect(url: string): Promise<SqlClient> {
  const client = await createPgClient({ connectionString: url, max: 2 });
  clients.push(client);
  return client;
}
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

const versions = async (client: SqlClient) =>
  (await client.query<{ version: number; name: string }>('select version, name from schema_migrations order by version')).rows;

describe('migrate', () => {
  it('applies every migration to an empty database and records each in schema_migrations', async () => {
    const client = await connect(await freshDatabase());
    expect(await migrate(client)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await versions(client)).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    const { rows } = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
    );
    // The conversation store's tables, the admin surface's (settings, audit log, report buckets)
    // and the agents' (accounts, sessions and tokens).
    expect(rows.map((r) => r.table_name)).toEqual([
      'admin_audit',
      'admin_projects',
      'admin_secrets',
      'agent_accounts',
      'agent_credentials',
      'conversations',
      'identities',
      'identity_counts',
      'identity_users',
      'identity_versions',
      'messages',
      'schema_migrations',
    ]);
  });

  it('applies nothing when started a second time', async () => {
    const url = await freshDatabase();
    await migrate(await connect(url));
    expect(await migrate(await connect(url))).toEqual([]);
  });

  it('is safe when several instances start at once: each migration is applied exactly once', async () => {
    const url = await freshDatabase();
    const instances = await Promise.all([connect(url), connect(url), connect(url), connect(url)]);
    const applied = await Promise.all(instances.map((client) => migrate(client)));
    expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await versions(instances[0]!)).toHaveLength(MIGRATIONS.length);
  });

  it('applies a migration appended later to a database that has the earlier ones', async () => {
    const client = await connect(await freshDatabase());
    await migrate(client);
    const later = [
      ...MIGRATIONS,
      { version: 1000, name: 'settings', sql: 'create table settings (name text primary key, value jsonb not null);' },
    ];
    expect(await migrate(client, later)).toEqual([1000]);
    await client.query('insert into settings (name, value) values ($1, $2::text::jsonb)', ['mode', '"enforce"']);
    expect(await migrate(client, later)).toEqual([]);
  });

  it('applies nothing of a failing migration: the whole run is one transaction', async () => {
    const client = await connect(await freshDatabase());
    const broken = [...MIGRATIONS, { version: 2000, name: 'broken', sql: 'create table half (id int); select no_such_function();' }];
    await expect(migrate(client, broken)).rejects.toThrow(/no_such_function/);
    const { rows } = await client.query("select to_regclass('public.conversations') as found");
    expect(rows[0]).toEqual({ found: null });
  });

  it('refuses a version listed twice before touching the database', async () => {
    const client = await connect(await freshDatabase());
    await expect(migrate(client, [...MIGRATIONS, { ...MIGRATIONS[0]! }])).rejects.toThrow(/listed twice/);
  });
});

describe('migrate on PGlite', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  it('applies the same schema, then nothing on a second start', async () => {
    const client = createPgliteClient(db);
    expect(await migrate(client)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(client)).toEqual([]);
    expect(await versions(client)).toHaveLength(MIGRATIONS.length);
  });
});
