// The SQL client over pg on a real cluster: an unreachable database is a StoreUnavailableError
// that never carries the connection string or password, and the pool recovers by itself.
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgClient, type SqlClient } from '../../src/store/sql-client.js';
import { isStoreUnavailable, StoreUnavailableError } from '../../src/store/store-unavailable-error.js';
import { freePort, usePostgres } from '../../../../test/helpers/postgres.js';

const pg = usePostgres();
const clients: SqlClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});
async function connect(url: string): Promise<SqlClient> {
  const client = await createPgClient({ connectionString: url, max: 2 });
  clients.push(client);
  return client;
}

const PASSWORD = 'pw-Sup3rSecret-do-not-log';

describe('createPgClient', () => {
  it('turns an unreachable database into StoreUnavailableError without the password or connection string', async () => {
    const url = `postgres://halo:${PASSWORD}@127.0.0.1:${await freePort()}/halo`;
    const client = await connect(url);
    const error = await client.query('select 1 as one', [1]).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(isStoreUnavailable(error)).toBe(true);
    const text = inspect(error, { depth: 8 }) + String((error as Error).stack);
    expect(text).toMatch(/ECONNREFUSED/);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(url);
    await expect(client.transaction(async (tx) => tx.query('select 1'))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('answers StoreUnavailableError while the server is down and works again once it is back, without a new client', async () => {
    const client = await connect(pg.cluster.url);
    expect((await client.query<{ one: number }>('select $1::int as one', [1])).rows).toEqual([{ one: 1 }]);
    await pg.cluster.stop();
    try {
      await expect(client.query('select $1::int as one', [1])).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(client.query('select $1::int as one', [1])).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await pg.cluster.start();
    }
    expect((await client.query<{ one: number }>('select $1::int as one', [2])).rows).toEqual([{ one: 2 }]);
  });

  it('passes a mistake in SQL through as the driver’s error, not as unavailable', async () => {
    const client = await connect(pg.cluster.url);
    const error = await client.query('select * from no_such_table where id = $1', [1]).catch((thrown: unknown) => thrown);
    expect(isStoreUnavailable(error)).toBe(false);
    expect(error).toMatchObject({ code: '42P01' });
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const client = await connect(pg.cluster.url);
    await client.exec('create table if not exists tx_test (v int)');
    await client.transaction(async (tx) => void (await tx.query('insert into tx_test values ($1)', [1])));
    await expect(
      client.transaction(async (tx) => {
        await tx.query('insert into tx_test values ($1)', [2]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await client.query<{ v: number }>('select v from tx_test order by v')).rows).toEqual([{ v: 1 }]);
  });
});
