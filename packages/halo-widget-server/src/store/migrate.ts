import { MIGRATIONS } from '../schema.js';
import type { Migration } from './migrations.js';
import type { SqlClient } from './sql-client.js';

// pg_advisory_xact_lock key: "halo" in ASCII. Held for the migration transaction only.
const MIGRATION_LOCK = 0x68616c6f;

/**
 * Brings a database's schema up to date: applies, in version order, every migration not yet
 * in `schema_migrations`, in one transaction under an advisory lock. Two instances starting
 * at once take turns (the second finds everything applied); starting twice applies nothing.
 * A database that already has versions this code does not know (a newer release ran) is left
 * as it is. Resolves with the versions applied now.
 */
export async function migrate(client: SqlClient, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  ordered.forEach((migration, i) => {
    if (!Number.isInteger(migration.version) || migration.version < 1)
      throw new TypeError(`migration ${migration.name}: version must be a positive integer.`);
    if (i > 0 && ordered[i - 1]!.version === migration.version)
      throw new TypeError(`migration version ${migration.version} is listed twice.`);
  });
  return client.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // After the lock: an instance that waited sees the table the first one created.
    await tx.exec(`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`);
    const { rows } = await tx.query<{ version: number }>('select version from schema_migrations');
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const migration of ordered) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return applied;
  });
}
