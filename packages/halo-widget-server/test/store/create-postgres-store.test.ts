// createPostgresStore from `halo-widget/server`, in each shape it accepts — `{ connectionString }`,
// `{ pool }`, `{ pglite }` — on a real PostgreSQL cluster and a real PGlite: the schema is
// migrated, the store works, close() ends only what the store opened itself, and a
// connection string never shows in an error.
import { inspect } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStore, isStoreUnavailable, MIGRATIONS, type PostgresStoreOptions } from '../../src/index.js';
import { chatOnce, texts } from './exchange-helpers.js';
import { freePort, usePostgres } from '../../../../test/helpers/postgres.js';

const cluster = usePostgres();
const PASSWORD = 'pw-factory-never-shown-9';
const closing: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await Promise.all(closing.map((close) => close()));
});

/** One exchange stored and read back through `store`; answers the conversation id. */
async function roundTrip(store: Awaited<ReturnType<typeof createPostgresStore>>, project: string): Promise<string> {
  const { id } = (await chatOnce(store, project, 'visitor:v1', null, 'cm-1', 'hello', 'hi'))!.conversation;
  expect(await texts(store, project, id)).toEqual(['hello', 'hi']);
  const versions = await store.client.query<{ version: number }>('select version from schema_migrations order by version');
  expect(versions.rows.map((row) => Number(row.version))).toEqual(MIGRATIONS.map((migration) => migration.version));
  return id;
}

describe('createPostgresStore', () => {
  it('{ connectionString }: migrates and stores, and close() ends the pool it opened', async () => {
    const store = await createPostgresStore({ connectionString: await cluster.cluster.createDatabase('by_url') });
    await roundTrip(store, 'p-url');
    await store.close();
    await expect(store.client.query('select 1')).rejects.toThrow();
  });

  it('{ pool }: uses the app’s pg.Pool, and close() leaves it open', async () => {
    const pool = new pg.Pool({ connectionString: await cluster.cluster.createDatabase('by_pool'), max: 2 });
    closing.push(() => pool.end());
    const store = await createPostgresStore({ pool });
    await roundTrip(store, 'p-pool');
    await store.close();
    expect((await pool.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('{ pglite }: the same schema and SQL on the app’s PGlite, and close() leaves it open', async () => {
    const pglite = new PGlite();
    closing.push(() => pglite.close());
    const store = await createPostgresStore({ pglite });
    await roundTrip(store, 'p-pglite');
    await store.close();
    expect((await pglite.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
  }, 60_000);

  it('a conversation stored through one shape is read through another on the same database', async () => {
    const url = await cluster.cluster.createDatabase('shared_shapes');
    const byUrl = await createPostgresStore({ connectionString: url });
    closing.push(() => byUrl.close());
    const id = await roundTrip(byUrl, 'p-shared');
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    closing.push(() => pool.end());
    const byPool = await createPostgresStore({ pool });
    closing.push(() => byPool.close());
    expect(await byPool.findConversation('p-shared', 'visitor:v1', id)).toMatchObject({ id, project: 'p-shared', owner: 'visitor:v1' });
    expect(await texts(byPool, 'p-shared', id)).toEqual(['hello', 'hi']);
  });

  it.each([
    ['nothing', {}],
    ['both a connection string and a pool', { connectionString: `postgres://halo:${PASSWORD}@127.0.0.1:1/halo`, pool: new pg.Pool() }],
  ] as [string, PostgresStoreOptions][])('refuses %s with a TypeError that names the options, not their values', async (_, options) => {
    const error = await createPostgresStore(options).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/connectionString, pool, pglite/);
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('rejects an unreachable database as unavailable, without the connection string or password', async () => {
    const url = `postgres://halo:${PASSWORD}@127.0.0.1:${await freePort()}/halo`;
    const error = await createPostgresStore({ connectionString: url }).catch((thrown: unknown) => thrown);
    expect(isStoreUnavailable(error)).toBe(true);
    const text = inspect(error, { depth: 8 }) + String((error as Error).stack);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(url);
  });
});
