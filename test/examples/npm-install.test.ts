// `npm install halo-widget` into an empty app, from the packed tarball: the browser package
// must bring only its own dependency (jose), never the service's database drivers (pg,
// PGlite, @types/pg), and a bundle of the token helpers alone must hold no database file.
// The install reaches the registry for jose unless npm's cache already has it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDist } from '../helpers/sizes.mjs';
import { DATABASE_CODE, DATABASE_FILE, pack, remove, REPO } from './example-app.js';

/** Bytes of every file under `dir`, as `du --apparent-size -b` counts them. */
function sizeOf(dir: string): number {
  return Number(execFileSync('du', ['-s', '-b', '--apparent-size', dir], { encoding: 'utf8' }).split('\t')[0]);
}

describe('npm install halo-widget into an empty app', () => {
  let dir: string;
  let app: string;

  beforeAll(() => {
    requireDist(join(REPO, 'packages/halo-widget'), ['dist/index.mjs', 'dist/server/index.mjs']);
    // Outside the repository, so npm does not take the app for part of the workspace.
    dir = mkdtempSync(join(tmpdir(), 'halo-npm-install-'));
    const tarball = pack('packages/halo-widget', dir);
    app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'empty-app', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
  }, 180_000);

  afterAll(() => remove(dir));

  it('installs halo-widget and jose, and no pg, @electric-sql/pglite or @types/pg', () => {
    const modules = join(app, 'node_modules');
    expect(existsSync(join(modules, 'halo-widget/package.json'))).toBe(true);
    expect(existsSync(join(modules, 'jose/package.json'))).toBe(true);
    for (const name of ['pg', '@electric-sql/pglite', '@types/pg', 'halo-widget-server']) {
      expect(existsSync(join(modules, name)), name).toBe(false);
    }
    const installed = readdirSync(modules).filter((name) => !name.startsWith('.'));
    expect(installed.sort()).toEqual(['halo-widget', 'jose']);
    console.log(`npm install halo-widget: node_modules ${sizeOf(modules)} bytes (${installed.join(', ')})`);
  });

  it('bundles `import { signUserToken } from "halo-widget/server"` with no database file or code', async () => {
    const result = await build({
      stdin: { contents: "export { signUserToken } from 'halo-widget/server';", resolveDir: app, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((file) => file.includes('halo-widget/dist/server'))).toBe(true);
    expect(inputs.filter((file) => DATABASE_FILE.test(file))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(DATABASE_CODE);
    console.log(`signUserToken bundle (esbuild, node, minified): ${Buffer.byteLength(code)} bytes, ${inputs.length} input files`);
  });
});
