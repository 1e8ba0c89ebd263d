// A throwaway PostgreSQL cluster (initdb in a temporary directory, pg_ctl on a free loopback
// port, removed afterwards) for tests and the store bench. Never touches a system cluster.
// As root the cluster runs as the `postgres` user (PostgreSQL refuses to run as root).
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's PostgreSQL 15 binaries (`apt-get install postgresql`); `PG_BIN` overrides. */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

const asRoot = () => userInfo().uid === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when this process is root. */
async function pg(binary, args) {
  const file = join(PG_BIN, binary);
  const { stdout } = asRoot() ? await run('runuser', ['-u', 'postgres', '--', file, ...args]) : await run(file, args);
  return stdout;
}

/** A port nobody listens on right now (the kernel's choice for port 0). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Creates and starts a cluster with user and database `halo` (trust authentication).
 * `fsync: false` (the tests' default) skips flushing to disk: a test never crashes the machine.
 */
export async function startPostgres({ fsync = false } = {}) {
  if (!existsSync(join(PG_BIN, 'initdb'))) {
    throw new Error(`PostgreSQL is not installed (no ${PG_BIN}/initdb): apt-get install -y postgresql`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'halo-pg-'));
  if (asRoot()) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -h 127.0.0.1 -c max_connections=100${fsync ? '' : ' -c fsync=off'}`;
  await pg('initdb', ['-A', 'trust', '-U', 'halo', '-D', data, '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '30', 'start']);
  };
  // Immediate: as if the server crashed or the network dropped.
  const stop = async () => {
    await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  };
  await start();
  const urlOf = (name) => `postgres://halo@127.0.0.1:${port}/${name}`;
  const createDatabase = async (name) => {
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
        void error; // already stopped by a test: the directory still goes
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
