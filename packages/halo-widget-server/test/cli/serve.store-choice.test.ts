// How `halo-widget-server serve` chooses its store, as a real process: DATABASE_URL (or "database" in
// the config file) → PostgreSQL; otherwise the embedded store in ./halo-data of the working
// folder (--data DIR to choose another); --memory keeps everything in memory. A connection
// string's password never reaches the output.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { call, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';

const KEY = 'ab_test_store_choice';
const PASSWORD = 'Pw-store-choice-never-logged-7';
const pg = usePostgres();

/** The cluster's URL with a password (trust authentication ignores it), to check it never leaks. */
const withPassword = (url: string) => url.replace('postgres://halo@', `postgres://halo:${PASSWORD}@`);
/** `host:port/database` of a URL: what the start-up line may show of it. */
const whereOf = (url: string) => url.replace(/^postgres:\/\/[^@]*@/, '');

const folders: string[] = [];
const running: ServeProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A working folder holding halo.config.json with these extra top-level fields. */
function workingFolder(extra: Record<string, unknown> = {}): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'halo-store-choice-'));
  folders.push(dir);
  const config = join(dir, 'halo.config.json');
  writeFileSync(config, JSON.stringify({ projects: [{ widgetKey: KEY }], ...extra }));
  return { dir, config };
}

async function serve(config: string, args: string[], env: Record<string, string>, cwd: string): Promise<ServeProcess> {
  const server = await startServe(config, args, env, cwd);
  running.push(server);
  return server;
}

const chat = (server: ServeProcess, visitor: string, message: string) =>
  call(server.url, 'chat', { widget_key: KEY, visitor_id: visitor, message, client_message_id: `cm-${message}` });
const texts = async (server: ServeProcess, visitor: string) =>
  (await call(server.url, 'history', { widget_key: KEY, visitor_id: visitor })).body.messages.map((m: { text: string }) => m.text);

describe('halo-widget-server serve --config halo.config.json', () => {
  it('without DATABASE_URL, "database", --data or --memory keeps conversations in ./halo-data, across a restart', async () => {
    const { dir, config } = workingFolder();
    const first = await serve(config, [], {}, dir);
    expect(first.output()).toContain('embedded (PGlite) in halo-data');
    expect((await chat(first, 'v-default', 'kept')).status).toBe(200);
    await first.stop();
    expect(existsSync(join(dir, 'halo-data'))).toBe(true);

    const second = await serve(config, [], {}, dir);
    expect(await texts(second, 'v-default')).toContain('kept');
  }, 120_000);

  it('--data DIR keeps the embedded database in DIR instead of ./halo-data', async () => {
    const { dir, config } = workingFolder();
    const server = await serve(config, ['--data', 'elsewhere'], {}, dir);
    expect(server.output()).toContain('embedded (PGlite) in elsewhere');
    expect((await chat(server, 'v-data', 'in elsewhere')).status).toBe(200);
    expect(existsSync(join(dir, 'elsewhere'))).toBe(true);
    expect(existsSync(join(dir, 'halo-data'))).toBe(false);
  }, 120_000);

  it('--memory opens no database and writes no folder', async () => {
    const { dir, config } = workingFolder();
    const server = await serve(config, ['--memory'], {}, dir);
    expect(server.output()).toContain('memory');
    expect((await chat(server, 'v-memory', 'in memory')).status).toBe(200);
    expect(existsSync(join(dir, 'halo-data'))).toBe(false);
  }, 60_000);

  it('"database": "postgres://…" in the config chooses PostgreSQL, and never prints the password', async () => {
    const url = withPassword(await pg.cluster.createDatabase('from_config'));
    const { dir, config } = workingFolder({ database: url });
    const server = await serve(config, [], {}, dir);
    expect(server.output()).toContain(`PostgreSQL at ${whereOf(url)}`);
    expect((await chat(server, 'v-config', 'to postgres')).status).toBe(200);
    expect(existsSync(join(dir, 'halo-data'))).toBe(false);
    expect(server.output()).not.toContain(PASSWORD);
  }, 60_000);

  it('"database": "$NAME" reads the variable NAME', async () => {
    const url = withPassword(await pg.cluster.createDatabase('from_variable'));
    const { dir, config } = workingFolder({ database: '$HALO_TEST_DATABASE' });
    const server = await serve(config, [], { HALO_TEST_DATABASE: url }, dir);
    expect(server.output()).toContain(`PostgreSQL at ${whereOf(url)}`);
    expect(server.output()).not.toContain(PASSWORD);
  }, 60_000);

  it('DATABASE_URL wins over "database" in the config, and what is sent is in that database', async () => {
    const inConfig = await pg.cluster.createDatabase('loser');
    const fromEnv = withPassword(await pg.cluster.createDatabase('winner'));
    const { dir, config } = workingFolder({ database: inConfig });
    const first = await serve(config, [], { DATABASE_URL: fromEnv }, dir);
    expect(first.output()).toContain(`PostgreSQL at ${whereOf(fromEnv)}`);
    expect((await chat(first, 'v-env', 'in winner')).status).toBe(200);
    await first.stop();

    // The same conversation is found through the database the variable named, not the config's.
    const again = await serve(config, [], { DATABASE_URL: fromEnv }, dir);
    expect(await texts(again, 'v-env')).toContain('in winner');
    const other = await serve(config, [], {}, dir);
    expect(other.output()).toContain(`PostgreSQL at ${whereOf(inConfig)}`);
    expect(await texts(other, 'v-env')).not.toContain('in winner');
    expect(first.output() + again.output()).not.toContain(PASSWORD);
  }, 90_000);
});
