// `halo-widget-server serve` as a real process (the built CLI), for crash and multi-instance tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'packages/halo-widget-server/bin/halo-widget-server.mjs');

export interface ServeProcess {
  url: string;
  /** The server process's id (to read its memory from /proc). */
  pid: number;
  /** Everything the process wrote so far (stdout + stderr). */
  output(): string;
  /** SIGKILL: no shutdown, no flush. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** Sends a signal without waiting. */
  signal(name: NodeJS.Signals): void;
  /** Resolves with the exit code (null when killed by a signal) once the process exited. */
  exited: Promise<number | null>;
}

/** A config file with these projects in a temporary folder (removed by `remove`). */
export function configFile(projects: unknown[]): { file: string; dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'halo-serve-'));
  const file = join(dir, 'halo.config.json');
  // These tests load one server from one address; the rate limit (on by default) has its own tests.
  writeFileSync(file, JSON.stringify({ projects, rateLimit: false }));
  return { file, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts `node halo-widget-server serve --config FILE --port 0 …args` in `cwd` (the
 * repository by default) and waits until it listens.
 */
export async function startServe(
  config: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd: string = ROOT,
): Promise<ServeProcess> {
  if (!existsSync(join(ROOT, 'packages/halo-widget-server/dist/cli.mjs'))) throw new Error('dist/ is not built: run `npm run build` first');
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', '0', ...args], {
    cwd,
    env: { ...process.env, DATABASE_URL: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s:\n${output}`)), 60_000);
    const check = () => {
      const found = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolveUrl(found[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before it listened:\n${output}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    output: () => output,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    signal: (name) => void child.kill(name),
    exited,
  };
}

/** POSTs one call and answers status, headers and the parsed body. */
export async function call(url: string, name: string, body: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${url}/api/sdk/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}
