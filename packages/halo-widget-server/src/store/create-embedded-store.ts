import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { newId } from './store.js';
import { migrate } from './migrate.js';
import { createPgliteClient } from './sql-client.js';
import { startSqlStore, type SqlConversationStore } from './sql-store.js';
import type { ConversationCaps } from './store.js';

/** Options of {@link createEmbeddedStore}. */
export interface EmbeddedStoreOptions {
  /** The folder PGlite keeps its database in; created when missing. @default './halo-data' */
  dataDir?: string;
  /** Caps per conversation. @default { maxMessages: 10_000, maxBytes: 5_000_000 } */
  caps?: ConversationCaps;
}

const LOCK = 'halo-widget.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else — still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims the folder for this process: PGlite is one process's database, and two processes
 * writing one folder would corrupt it. A lock left by a process that died (kill -9) is taken over.
 */
function lock(dir: string): () => void {
  const file = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new Error(`${dir} is in use by process ${holder}: an embedded database serves one process (use PostgreSQL for several).`, {
          cause: error,
        });
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock ${dir}`);
}

/**
 * The embedded {@link SqlConversationStore}: PostgreSQL compiled to WASM (PGlite), kept in
 * `dataDir`, with the same schema and SQL as {@link createPostgresStore}. PGlite is loaded
 * on first use (1–4 s). One process per folder; `close()` flushes and releases it.
 */
export async function createEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<SqlConversationStore> {
  const dir = resolve(options.dataDir ?? 'halo-data');
  mkdirSync(dir, { recursive: true });
  const unlock = lock(dir);
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(join(dir, 'pgdata'));
    const client = createPgliteClient(db, { owned: true });
    let store: SqlConversationStore;
    try {
      await migrate(client);
      store = await startSqlStore(client, () => newId('conv'), { caps: options.caps });
    } catch (error) {
      await client.close();
      throw error;
    }
    return {
      ...store,
      close: async () => {
        try {
          await store.close();
        } finally {
          unlock();
        }
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}
