// The package as an app gets it from the registry: `npm pack`, unpacked into a temporary
// node_modules/halo-widget (so `files` and `exports` are what is tested), with its
// dependencies and peers linked from this repository's node_modules (no network).
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO, requireDist, ROOT } from '../../../../test/helpers/sizes.mjs';

/** What an installed app sees; `linked` are the packages beside halo-widget in node_modules. */
export interface InstalledPackage {
  /** The app's folder: node_modules/halo-widget and the linked packages are inside. */
  dir: string;
  /** Runs `node ...args` in the app's folder. */
  node(args: string[]): SpawnSyncReturns<string>;
  remove(): void;
}

// Only the browser package's dependencies and the peers an app brings: no database driver.
const LINKED = ['jose', 'react', 'react-dom', 'jsdom', '@types/react', '@types/node', 'undici-types', 'csstype'];

/** Packs the built package and installs it into a fresh temporary app folder; `extra` are more packages to link. */
export function installPackage(extra: string[] = []): InstalledPackage {
  requireDist(ROOT, ['dist/index.mjs', 'dist/index.cjs', 'dist/server/index.cjs', 'dist/react.mjs', 'dist/react.cjs']);
  const dir = mkdtempSync(join(tmpdir(), 'halo-app-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as Array<{ filename: string }>;
  const target = join(dir, 'node_modules/halo-widget');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, packed[0]!.filename), '-C', target, '--strip-components=1']);
  for (const name of [...LINKED, ...extra]) {
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  }
  return {
    dir,
    node: (args) => spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
