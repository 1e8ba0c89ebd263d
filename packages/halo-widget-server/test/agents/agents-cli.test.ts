// `halo-widget-server agents …` on the embedded store: accounts are added with the password
// read from stdin and stored as a scrypt hash; tokens are printed once and stored hashed; a
// running server holding the folder makes the command say so.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createEmbeddedStore } from '../../src/store/create-embedded-store.js';
import { verifyPassword } from '../../src/agents/password.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-agents-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function cli(args: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const run = main(args, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: {},
    readStdin: async () => stdin,
  });
  return run.then((code) => ({ code, out: out.join(''), err: err.join('') }));
}

async function rows(dir: string, sql: string) {
  const store = await createEmbeddedStore({ dataDir: dir });
  try {
    return (await store.client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await store.close();
  }
}

describe('agents CLI', () => {
  it('adds an account with the password from stdin, stored only as a scrypt hash', async () => {
    const dir = tempDir();
    const added = await cli(
      ['agents', 'add', '--email', 'Ann@Example.com', '--name', 'Ann', '--role', 'agent', '--projects', 'wk_a,wk_b', '--data', dir],
      'correct horse battery\n',
    );
    expect(added).toMatchObject({ code: 0 });
    expect(added.out).toContain('ann@example.com');
    const listed = await cli(['agents', 'list', '--data', dir]);
    expect(listed.out).toMatch(/ann@example\.com {2}Ann {2}agent {2}wk_a,wk_b/);
    const [row] = await rows(dir, 'select password_hash, projects from agent_accounts');
    expect(row!.password_hash).toMatch(/^scrypt\$/);
    expect(String(row!.password_hash)).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', String(row!.password_hash))).toBe(true);
    expect(await verifyPassword('correct horse batter', String(row!.password_hash))).toBe(false);
  }, 60_000);

  it('refuses a password given as an argument, and an empty stdin', async () => {
    const dir = tempDir();
    const asArgument = await cli([
      'agents',
      'add',
      '--email',
      'a@x.io',
      '--name',
      'A',
      '--role',
      'agent',
      '--password',
      'hunter2hunter2',
      '--data',
      dir,
    ]);
    expect(asArgument.code).toBe(1);
    expect(asArgument.err).toMatch(/Unknown option '--password'/);
    const empty = await cli(['agents', 'add', '--email', 'a@x.io', '--name', 'A', '--role', 'agent', '--data', dir], '');
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(/password on stdin/);
  });

  it('prints a hat_ token once and stores only its hash', async () => {
    const dir = tempDir();
    await cli(['agents', 'add', '--email', 'bot@x.io', '--name', 'Bot', '--role', 'agent', '--data', dir], 'a long password here');
    const issued = await cli(['agents', 'token', '--email', 'bot@x.io', '--data', dir]);
    expect(issued.code).toBe(0);
    const token = issued.out.trim();
    expect(token).toMatch(/^hat_[A-Za-z0-9_-]{43}$/);
    const stored = await rows(dir, "select hash from agent_credentials where kind = 'token'");
    expect(stored).toHaveLength(1);
    expect(stored[0]!.hash).not.toContain(token.slice(4, 20));
    const unknown = await cli(['agents', 'token', '--email', 'nobody@x.io', '--data', dir]);
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.err).toMatch(/no account with the email nobody@x\.io/);
  }, 60_000);

  it('says a running server holds the embedded database instead of opening it', async () => {
    const dir = tempDir();
    // The lock file of a live process (our parent): what a running `serve` leaves.
    writeFileSync(join(dir, 'halo-widget.lock'), String(process.ppid));
    const result = await cli(
      ['agents', 'add', '--email', 'c@x.io', '--name', 'C', '--role', 'admin', '--data', dir],
      'a long password here',
    );
    expect(result.code).toBe(1);
    expect(result.err).toContain(`held by a running server (process ${process.ppid})`);
  });
});
