// A throwaway PostgreSQL cluster for tests: initdb in a temporary directory, started with
// pg_ctl on a free loopback port, removed afterwards. Never touches a system cluster.
// As root the cluster runs as the `postgres` user (PostgreSQL refuses to run as root).
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';

const run = promisify(execFile);

/** Debian's PostgreSQL 15 binaries (`apt-get install postgresql`); `PG_BIN` overrides. */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresCluster {
  /** `postgres://halo@127.0.0.1:PORT/halo` (trust authentication, no password). */
  url: string;
  port: number;
  /** Creates another database in the cluster and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (immediate shutdown: as if it crashed or the network dropped). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and deletes the cluster. */
  remove(): Promise<void>;
}

const asRoot = (): boolean => userInfo().uid === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when this process is root. */
async function pg(binary: string, args: string[]): Promise<string> {
  const file = join(PG_BIN, binary);
  const { stdout } = asRoot() ? await run('runuser', ['-u', 'postgres', '--', file, ...args]) : await run(file, args);
  return stdout;
}

/** A port nobody listens on right now (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Creates and starts a cluster with user and database `halo`. */
export async function startPostgres(): Promise<PostgresCluster> {
  if (!existsSync(join(PG_BIN, 'initdb'))) {
    throw new Error(`PostgreSQL is not installed (no ${PG_BIN}/initdb): apt-get install -y postgresql`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'halo-pg-'));
  if (asRoot()) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -h 127.0.0.1 -c fsync=off -c max_connections=100`;
  await pg('initdb', ['-A', 'trust', '-U', 'halo', '-D', data, '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '30', 'start']);
  };
  const stop = async () => {
    await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  };
  await start();
  const urlOf = (name: string) => `postgres://halo@127.0.0.1:${port}/${name}`;
  const createDatabase = async (name: string) => {
    await pg('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'halo', name]);
    return urlOf(name);
  };
  await createDatabase('halo');
  let removed = false;
  return {
    url: urlOf('halo'),
    port,
    createDatabase,
    stop,
    start,
    remove: async () => {
      if (removed) return;
      removed = true;
      try {
        await stop();
      } catch (error) {
        // Already stopped (a test stopped it): the directory still goes.
        void error;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A cluster for the test file: started in beforeAll, removed in afterAll. */
export function usePostgres(): { readonly cluster: PostgresCluster } {
  const holder: { cluster: PostgresCluster | null } = { cluster: null };
  beforeAll(async () => {
    holder.cluster = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await holder.cluster?.remove();
  }, 60_000);
  return {
    get cluster() {
      if (!holder.cluster) throw new Error('the PostgreSQL cluster is not started yet (use it inside a test)');
      return holder.cluster;
    },
  };
}
