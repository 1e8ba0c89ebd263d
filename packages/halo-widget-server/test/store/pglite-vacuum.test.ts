// PGlite has no autovacuum: the PGlite client vacuums the tables whose dead rows pass
// autovacuum's threshold, so a busy embedded store's conversation rows do not pile up dead
// versions (ADR 0871). A real PGlite.
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/store/create-postgres-store.js';
import { createVacuumKeeper } from '../../src/store/pglite-vacuum.js';
import { chatOnce } from './exchange-helpers.js';

const opened: PGlite[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) if (!db.closed) await db.close();
});

async function database(): Promise<PGlite> {
  const db = await PGlite.create();
  opened.push(db);
  return db;
}

/** The cumulative statistics are flushed at most once a second; a test asks for it now. */
const flushStats = async (db: PGlite) => {
  await db.query('select pg_stat_force_next_flush()');
  await db.query('select 1');
};

const vacuumed = async (db: PGlite, table: string) =>
  (await db.query<{ last_vacuum: Date | null }>('select last_vacuum from pg_stat_user_tables where relname = $1', [table])).rows[0]
    ?.last_vacuum ?? null;

const deadRows = async (db: PGlite, table: string) =>
  Number((await db.query<{ n: number }>('select n_dead_tup as n from pg_stat_user_tables where relname = $1', [table])).rows[0]?.n ?? 0);

describe('the vacuum keeper', () => {
  it('vacuums a table whose dead rows pass 50 + 20 % of its live rows, and leaves one below it alone', async () => {
    const db = await database();
    await db.exec(`create table busy (id int primary key, n int); insert into busy select g, 0 from generate_series(1, 100) g;
      create table quiet (id int primary key, n int); insert into quiet select g, 0 from generate_series(1, 100) g;`);
    for (let round = 0; round < 3; round++) await db.exec('update busy set n = n + 1'); // 300 dead > 70
    await db.exec('update quiet set n = n + 1 where id <= 40'); // 40 dead < 70
    await flushStats(db);
    const keeper = createVacuumKeeper(db, { checkEvery: 1 });
    keeper.counted();
    await keeper.idle();
    expect(await vacuumed(db, 'busy')).not.toBeNull();
    expect(await vacuumed(db, 'quiet')).toBeNull();
  });

  it('checks only every `checkEvery` statements', async () => {
    const db = await database();
    await db.exec(`create table busy (id int primary key, n int); insert into busy select g, 0 from generate_series(1, 100) g;`);
    for (let round = 0; round < 3; round++) await db.exec('update busy set n = n + 1');
    await flushStats(db);
    const keeper = createVacuumKeeper(db, { checkEvery: 3 });
    keeper.counted();
    keeper.counted();
    await keeper.idle();
    expect(await vacuumed(db, 'busy')).toBeNull();
    keeper.counted();
    await keeper.idle();
    expect(await vacuumed(db, 'busy')).not.toBeNull();
  });

  it('reports a vacuum that fails, without throwing into the statement that counted it', async () => {
    const db = await database();
    await db.exec(`create table busy (id int primary key, n int); insert into busy select g, 0 from generate_series(1, 100) g;`);
    for (let round = 0; round < 3; round++) await db.exec('update busy set n = n + 1');
    await flushStats(db);
    const reports: Error[] = [];
    const failing = {
      query: db.query.bind(db),
      exec: async (text: string) => (text.startsWith('vacuum') ? Promise.reject(new Error('disk full')) : db.exec(text)),
      get closed() {
        return db.closed;
      },
    };
    const keeper = createVacuumKeeper(failing, { checkEvery: 1, report: (error) => reports.push(error) });
    expect(() => keeper.counted()).not.toThrow();
    await keeper.idle();
    expect(reports.map((error) => error.message)).toEqual(['halo-widget-server: vacuum of the embedded database failed: disk full']);
  });
});

describe('an SQL store on PGlite', () => {
  it('keeps the dead versions of its conversation rows bounded through 1 500 chats', async () => {
    const db = await database();
    const store = await createPostgresStore({ pglite: db });
    const conversations = new Map<string, string>();
    for (let i = 0; i < 1_500; i++) {
      const owner = `user:${i % 10}`;
      const result = await chatOnce(store, 'ab_p', owner, conversations.get(owner) ?? null, `cm${i}`, 'q', 'a');
      conversations.set(owner, result!.conversation.id);
    }
    // Without the keeper: one dead version per chat (~1 500). With it: at most a check's worth.
    expect(await deadRows(db, 'conversations')).toBeLessThan(400);
    await store.close();
  }, 60_000);
});
