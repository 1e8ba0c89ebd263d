import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { newId } from './store.js';
import { migrate } from './migrate.js';
import { unpackEmbeddedImage } from './embedded-image.js';
import { createPgliteClient } from './sql-client.js';
import { startSqlStore, type SqlConversationStore } from './sql-store.js';
import type { ConversationCaps } from './store.js';

/** Options of {@link createEmbeddedStore}. */
export interface EmbeddedStoreOptions {
  /** The folder PGlite keeps its database in; created when missing. @default './halo-data' */
  dataDir?: string;
  /** Caps per conversation. @default { maxMessages: 10_000, maxBytes: 5_000_000 } */
  caps?: ConversationCaps;
  /**
   * Compile PGlite with V8's baseline compiler only (`--liftoff-only`): ~45 MB less resident
   * memory, queries somewhat slower (BENCHMARKS.md). It sets a V8 flag for the whole process
   * (every WebAssembly module compiled afterwards), so only `serve`, which owns its process,
   * turns it on. ADR 0870. @default false
   */
  smallWasmCode?: boolean;
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
 * PostgreSQL settings for a small, single-connection embedded database (BENCHMARKS.md, bench/
 * embedded-store-memory.mjs): PGlite's own start parameters, plus small buffers — the WASM heap
 * only grows, so every buffer PostgreSQL touches stays resident for the process's life.
 */
const EMBEDDED_SETTINGS = {
  // initialMemory stays at PGlite's 128 MB: its WASM module declares that as its minimum.
  startParams: [
    // PGlite 0.5's defaults (PGlite.defaultStartParams), which an explicit list replaces.
    ...['--single', '-F', '-O', '-j', '-c', 'search_path=public', '-c', 'exit_on_error=false', '-c', 'log_checkpoints=false'],
    ...['-c', 'max_worker_processes=0', '-c', 'max_parallel_workers=0', '-c', 'max_parallel_workers_per_gather=0'],
    ...['-c', 'io_method=sync', '-c', 'max_parallel_maintenance_workers=0'],
    ...['-c', 'shared_buffers=8MB', '-c', 'work_mem=1MB', '-c', 'maintenance_work_mem=8MB', '-c', 'temp_buffers=1MB'],
    ...['-c', 'wal_buffers=256kB', '-c', 'effective_cache_size=32MB', '-c', 'max_connections=5'],
  ],
};

/**
 * Creates the database folder (PGlite's initdb) in a worker thread when there is no prebuilt
 * image for the installed PGlite: initdb's WASM heap (~500 MB here) is freed with the worker
 * instead of staying resident in the server for its whole life.
 */
async function initInWorker(dataDir: string): Promise<void> {
  const code = `const { parentPort, workerData } = require('node:worker_threads');
import(workerData.module).then(async ({ PGlite }) => { const db = await PGlite.create(workerData.dataDir); await db.close(); parentPort.postMessage('ok'); })
  .catch((error) => parentPort.postMessage(String(error && error.stack || error)));`;
  const module = import.meta.resolve('@electric-sql/pglite');
  const worker = new Worker(code, { eval: true, workerData: { module, dataDir } });
  try {
    const answer = await new Promise<unknown>((done, fail) => {
      worker.once('message', done);
      worker.once('error', fail);
    });
    if (answer !== 'ok') throw new Error(`could not create the embedded database in ${dataDir}: ${String(answer)}`);
  } finally {
    await worker.terminate();
  }
}

/** The prebuilt image unpacked into `dataDir`; false (initdb instead, with a warning) when it is missing or unusable. */
async function unpackPrebuilt(dataDir: string): Promise<boolean> {
  try {
    return await unpackEmbeddedImage(dataDir);
  } catch (error) {
    process.emitWarning(
      `halo-widget-server: the prebuilt database image could not be used (${(error as Error).message}); creating the database with initdb instead. Reinstalling halo-widget-server restores the image.`,
    );
    return false;
  }
}

/**
 * The embedded {@link SqlConversationStore}: PostgreSQL compiled to WASM (PGlite), kept in
 * `dataDir`, with the same schema and SQL as {@link createPostgresStore}. PGlite is loaded
 * on first use (0.5–2 s); a fresh folder is unpacked from the prebuilt image. One process per
 * folder; `close()` flushes and releases it.
 */
export async function createEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<SqlConversationStore> {
  const dir = resolve(options.dataDir ?? 'halo-data');
  mkdirSync(dir, { recursive: true });
  const unlock = lock(dir);
  try {
    if (options.smallWasmCode) setFlagsFromString('--liftoff-only');
    const { PGlite } = await import('@electric-sql/pglite');
    const dataDir = join(dir, 'pgdata');
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      // No PG_VERSION: never made, or initdb died midway (PostgreSQL would refuse the folder
      // anyway). The folder is ours (`<dataDir>/pgdata`), so it is made again from scratch.
      rmSync(dataDir, { recursive: true, force: true });
      if (!(await unpackPrebuilt(dataDir))) await initInWorker(dataDir);
    }
    const client = createPgliteClient(await PGlite.create(dataDir, EMBEDDED_SETTINGS), { owned: true });
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
