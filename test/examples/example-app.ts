// An example app as a user would have it after `npm install`: the example's files copied,
// node_modules/halo-widget unpacked from the `npm pack` tarball (so `files` and `exports` are
// what is tested), and every other dependency linked from this repository's node_modules, so
// no network is needed. The copy lives under test-results/ inside the repository: Turbopack
// refuses symlinks that point outside its root, which it finds from the repository's lockfile.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO } from '../helpers/sizes.mjs';

export { REPO };
export const EXAMPLES = join(REPO, 'examples');

/** Packs a workspace package into `dir`; returns the tarball's path. */
export function pack(workspaceDir: string, dir: string): string {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: join(REPO, workspaceDir),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as Array<{ filename: string }>;
  return join(dir, packed[0]!.filename);
}

/** Unpacks an npm tarball (its `package/` folder) into `target`. */
export function unpack(tarball: string, target: string): void {
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
}

/** A temporary folder under test-results/, removed by the caller. */
export function scratchDir(prefix: string): string {
  const parent = join(REPO, 'test-results');
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, `${prefix}-`));
}

/**
 * Copies examples/<name> into a fresh folder and installs halo-widget from `tarball`; the
 * example's other dependencies (its package.json) plus `extra` are linked from the repository.
 */
export function installExample(name: string, tarball: string, extra: string[] = []): string {
  const dir = scratchDir(`example-${name}`);
  cpSync(join(EXAMPLES, name), dir, { recursive: true });
  unpack(tarball, join(dir, 'node_modules/halo-widget'));
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const names = [...Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }), ...extra];
  for (const dep of names.filter((dep) => dep !== 'halo-widget')) {
    mkdirSync(dirname(join(dir, 'node_modules', dep)), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir');
  }
  return dir;
}

export interface Run {
  status: number | null;
  output: string;
}

/** Runs `node <args>` in `cwd` without blocking the test worker; stdout and stderr together. */
export function runNode(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', CI: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

/** Removes a folder made by scratchDir or installExample. */
export function remove(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** What gives away the service's database code in a file name or in bundled code. */
export const DATABASE_FILE = /@electric-sql|pglite|node_modules\/pg\/|node_modules\/@types\/pg\/|\.wasm$|\.data$/;
export const DATABASE_CODE = /@electric-sql\/pglite|PGlite|pglite\.wasm|require\(["']pg["']\)|from\s*["']pg["']/;
