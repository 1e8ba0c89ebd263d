import type { Pool } from 'pg';
import { newId } from './store.js';
import { migrate } from './migrate.js';
import { createPgClient, createPgliteClient, type PgliteLike, type SqlClient } from './sql-client.js';
import { startSqlStore, type SqlConversationStore } from './sql-store.js';
import type { ConversationCaps } from './store.js';

/** Where {@link createPostgresStore} keeps its data: give one of the four. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/db` — never logged, never in an error message. */
  connectionString?: string;
  /** A `pg` pool of your own; `close()` leaves it open. */
  pool?: Pool;
  /** A PGlite instance of your own (same schema and SQL, embedded); `close()` leaves it open. */
  pglite?: PgliteLike;
  /** Any {@link SqlClient} (e.g. one that counts round trips); `close()` closes it. */
  client?: SqlClient;
  /** Pool size with `connectionString`. @default 10 */
  max?: number;
  /** Caps per conversation. @default { maxMessages: 10_000, maxBytes: 5_000_000 } */
  caps?: ConversationCaps;
}

/**
 * A {@link SqlConversationStore} on PostgreSQL (through a `pg` pool) or on a PGlite instance.
 * Applies the schema migrations first (safe when several instances start at once) and
 * rejects when that fails — with a `StoreUnavailableError` when the database is unreachable.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<SqlConversationStore> {
  const given = [options.connectionString, options.pool, options.pglite, options.client].filter((v) => v !== undefined).length;
  if (given !== 1) throw new TypeError('createPostgresStore: give exactly one of connectionString, pool, pglite or client.');
  const client =
    options.client ??
    (options.pglite
      ? createPgliteClient(options.pglite)
      : await createPgClient({ connectionString: options.connectionString, pool: options.pool, max: options.max }));
  try {
    await migrate(client);
    // On PostgreSQL one pool connection is held for LISTEN: every instance hears every write.
    return await startSqlStore(client, () => newId('conv'), { caps: options.caps });
  } catch (error) {
    await client.close().catch((closing: unknown) => void closing);
    throw error;
  }
}
