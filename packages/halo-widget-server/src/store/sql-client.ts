import { createVacuumKeeper } from './pglite-vacuum.js';
import type { Pool, PoolClient } from 'pg';
import { listenOnPool } from './pg-listen.js';
import { toStoreError } from './store-unavailable-error.js';

/** One statement's answer: its rows, as the driver parsed them (`timestamptz` → `Date`). */
export interface SqlResult<Row> {
  rows: Row[];
}

/** What runs SQL: the client itself, or a transaction inside it. */
export interface SqlQueryable {
  /**
   * One statement with `$1…` parameters: one round trip. On PostgreSQL it runs as a named
   * prepared statement per connection, so repeating it costs no parse or plan.
   */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
  /** A script of several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

/**
 * The small SQL client the server's database features share, over a `pg` pool or a PGlite
 * instance with the same dialect. Errors are turned by `toStoreError`: a database that cannot
 * be reached becomes a `StoreUnavailableError` (the API answers 503), and no error message
 * carries the connection string or password.
 */
export interface SqlClient extends SqlQueryable {
  /** `postgres` (a server through `pg`) or `pglite` (embedded). */
  readonly engine: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Ends the pool (or closes PGlite) if this client opened it. */
  close(): Promise<void>;
  /**
   * Delivers every notification on `channel` (a fixed identifier) to `onNotify`, from when it
   * resolves. On PostgreSQL it holds one connection of the pool for LISTEN; when that
   * connection is lost it connects and listens again, then calls `onResync` (what was
   * announced meanwhile is lost: readers catch up from their cursors). Resolves with `stop`.
   * Optional: a client without it delivers no store events.
   */
  listen?(channel: string, onNotify: (payload: string) => void, onResync: () => void): Promise<() => Promise<void>>;
}

/** Stable names for prepared statements: the same text gets the same name on every connection. */
const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    // FNV-1a of the text plus the length: collisions would need the same hash and length.
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    name = `halo_${(hash >>> 0).toString(36)}_${text.length.toString(36)}`;
    names.set(text, name);
  }
  return name;
}

/** The secrets to keep out of error messages: the connection string and its password. */
function secretsOf(connectionString: string | undefined): string[] {
  if (!connectionString) return [];
  const secrets = [connectionString];
  try {
    const password = decodeURIComponent(new URL(connectionString).password);
    if (password) secrets.push(password);
  } catch (error) {
    // Not a URL (a key=value string): the whole string is still redacted.
    void error;
  }
  return secrets;
}

/**
 * A statement or query timeout (above) as a lost connection, which the API answers 503 with
 * `Retry-After`: the database did not answer in time, the request may be tried again.
 */
function timedOut(error: unknown): unknown {
  const shaped = error as { code?: unknown; message?: unknown } | null;
  if (shaped?.code === '57014' || (typeof shaped?.message === 'string' && /query read timeout/i.test(shaped.message)))
    return Object.assign(new Error(`connection timeout: the database did not answer in time (${String(shaped.message)})`), {
      code: 'ETIMEDOUT',
    });
  return error;
}

function pgQueryable(target: Pool | PoolClient, secrets: string[]): SqlQueryable {
  return {
    query: async <Row>(text: string, params: readonly unknown[] = []) => {
      try {
        const result = await target.query({ name: params.length ? statementName(text) : undefined, text, values: params as unknown[] });
        return { rows: result.rows as Row[] };
      } catch (error) {
        throw toStoreError(timedOut(error), secrets);
      }
    },
    exec: async (text) => {
      try {
        await target.query(text);
      } catch (error) {
        throw toStoreError(timedOut(error), secrets);
      }
    },
  };
}

/** Options of {@link createPgClient}. */
export interface PgClientOptions {
  /** `postgres://user:password@host:port/db`; never logged. */
  connectionString?: string;
  /** A pool of your own (not ended by `close()`). */
  pool?: Pool;
  /** @default 10 */
  max?: number;
}

/** A {@link SqlClient} over a `pg` pool (`pg` is imported on first use). */
export async function createPgClient(options: PgClientOptions): Promise<SqlClient> {
  const secrets = secretsOf(options.connectionString);
  let pool = options.pool;
  const owned = !pool;
  if (!pool) {
    if (!options.connectionString) throw new TypeError('createPgClient: give `connectionString` or `pool`.');
    const { default: pg } = await import('pg');
    pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      // A database that does not answer must fail a request (503), not hold it forever.
      connectionTimeoutMillis: 5000,
      // A hung database (a stopped process, a lost network path) must not hold a request, nor a
      // pool connection, forever: the server cancels a statement after 10 s, the client gives up
      // on an answer after 12 s (the server may be unable to cancel anything).
      statement_timeout: 10_000,
      query_timeout: 12_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
  }
  // An idle connection the server drops (a restart, a failover) is reported here; without a
  // listener Node would crash the process. The next query opens a fresh connection.
  pool.on('error', (error) => void error);
  const usable = pool;
  const base = pgQueryable(usable, secrets);
  return {
    engine: 'postgres',
    ...base,
    transaction: async (fn) => {
      let connection: PoolClient;
      try {
        connection = await usable.connect();
      } catch (error) {
        throw toStoreError(error, secrets);
      }
      const tx = pgQueryable(connection, secrets);
      let broken: Error | undefined;
      try {
        await tx.exec('begin');
        const result = await fn(tx);
        await tx.exec('commit');
        return result;
      } catch (error) {
        try {
          await connection.query('rollback');
        } catch (rollbackFailed) {
          // The connection is gone: it is discarded instead of returned to the pool.
          broken = rollbackFailed as Error;
        }
        throw error;
      } finally {
        connection.release(broken);
      }
    },
    listen: (channel, onNotify, onResync) => listenOnPool(usable, secrets, channel, onNotify, onResync),
    close: async () => {
      if (owned) await usable.end();
    },
  };
}

/** A scalar parameter's text, as PostgreSQL reads it for any type (`true`, an ISO date, a number). */
function scalarText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** An array parameter in PostgreSQL's array syntax: `{"a","b\\"c",NULL}` (each element quoted). */
function arrayText(values: readonly unknown[]): string {
  const elements = values.map((value) =>
    value === null || value === undefined ? 'NULL' : `"${scalarText(value).replace(/[\\"]/g, '\\$&')}"`,
  );
  return `{${elements.join(',')}}`;
}

/**
 * A parameter as an SQL literal: `NULL`, or a quoted string that PostgreSQL coerces to the
 * parameter's type — an array in PostgreSQL's array syntax, so one parameter can carry a batch.
 */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const text = Array.isArray(value) ? arrayText(value) : scalarText(value);
  // An escape-string literal: its meaning does not depend on standard_conforming_strings,
  // which an app's own PGlite instance could have turned off.
  return `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

const holdsNul = (param: unknown): boolean =>
  typeof param === 'string' ? param.includes('\0') : Array.isArray(param) && param.some(holdsNul);

/**
 * The part of a PGlite instance the client uses. Structural, so the package's public types
 * never load PGlite's own declarations (they need Emscripten's types, which a consumer
 * compiling with `skipLibCheck: false` does not have).
 */
export interface PgliteLike {
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  exec(text: string): Promise<Array<{ rows: unknown[] }>>;
  transaction<T>(fn: (tx: Pick<PgliteLike, 'query' | 'exec'>) => Promise<T>): Promise<T>;
  /** PGlite's LISTEN within its one process. */
  listen?(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  readonly closed: boolean;
}

/**
 * A {@link SqlClient} over a PGlite instance (one connection: PGlite runs one statement at a
 * time). A statement with parameters is prepared once (`PREPARE`) and run as `EXECUTE` with
 * its parameters as literals: PGlite has no statement cache, and parsing and planning each
 * time cost more than the statement itself (about 2.5× the time for the store's statements).
 */
export function createPgliteClient(
  db: PgliteLike,
  { owned = false, vacuumCheckEvery }: { owned?: boolean; vacuumCheckEvery?: number } = {},
): SqlClient {
  const prepared = new Map<string, Promise<void>>();
  // No autovacuum in PGlite's single-user mode: the client counts its statements and vacuums what needs it.
  const keeper = createVacuumKeeper(db, { checkEvery: vacuumCheckEvery });
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toStoreError(error, []);
    } finally {
      keeper.counted();
    }
  };
  // Inside a transaction (migrations) statements go through PGlite's own parameter binding:
  // preparing there would wait for the lock the transaction holds.
  const plain = (target: Pick<PgliteLike, 'query' | 'exec'>): SqlQueryable => ({
    query: <Row>(text: string, params: readonly unknown[] = []) =>
      run(async () => ({ rows: (await target.query<Row>(text, params as unknown[])).rows })),
    exec: (text) => run(async () => void (await target.exec(text))),
  });
  const direct = plain(db);
  return {
    engine: 'pglite',
    query: <Row>(text: string, params: readonly unknown[] = []) => {
      // A literal cannot hold U+0000 (the stores never send one; anything else takes the slow path).
      if (!params.length || params.some(holdsNul)) return direct.query<Row>(text, params);
      const name = statementName(text);
      return run(async () => {
        let ready = prepared.get(name);
        if (!ready) {
          ready = db.exec(`prepare ${name} as ${text}`).then(() => undefined);
          prepared.set(name, ready);
          // A statement that failed to prepare is tried again next time (and fails with its error).
          ready.catch(() => prepared.delete(name));
        }
        await ready;
        const results = await db.exec(`execute ${name}(${params.map(literal).join(', ')})`);
        return { rows: (results[0]?.rows ?? []) as Row[] };
      });
    },
    exec: (text) => direct.exec(text),
    transaction: (fn) => db.transaction((tx) => fn(plain(tx))),
    listen: async (channel, onNotify) => {
      if (!db.listen) throw new TypeError('listen: this PGlite instance has no listen().');
      // One process, one connection: nothing to reconnect, no resync.
      return run(() => db.listen!(channel, onNotify));
    },
    close: async () => {
      await keeper.idle();
      if (owned && !db.closed) await db.close();
    },
  };
}
