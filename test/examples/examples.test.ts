// The docs' example apps (examples/nextjs: Next.js 16 as create-next-app makes it, with
// cacheComponents; examples/vite: Vite + React 19) built with halo-widget installed from its
// `npm pack` tarball, the way CI proves that what users copy from docs/react.md builds. The
// token route must ship only the token helpers: no file of the service's database (PGlite, pg).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDist } from '../helpers/sizes.mjs';
import { DATABASE_CODE, DATABASE_FILE, installExample, pack, remove, REPO, runNode } from './example-app.js';

let packDir: string;
let tarball: string;

beforeAll(() => {
  requireDist(join(REPO, 'packages/halo-widget'), ['dist/index.mjs', 'dist/server/index.mjs', 'dist/react.mjs']);
  packDir = mkdtempSync(join(tmpdir(), 'halo-examples-pack-'));
  tarball = pack('packages/halo-widget', packDir);
}, 60_000);

afterAll(() => remove(packDir));

describe('examples/nextjs (Next.js 16, cacheComponents, Turbopack) from the packed halo-widget', () => {
  let app: string;
  let build: { status: number | null; output: string };

  beforeAll(async () => {
    app = installExample('nextjs', tarball, ['@next', '@swc', 'styled-jsx']);
    build = await runNode([join(app, 'node_modules/next/dist/bin/next'), 'build'], app);
  }, 300_000);

  afterAll(() => remove(app));

  it('builds with `next build`, the page partially prerendered and the token route dynamic', () => {
    expect(build.status, build.output).toBe(0);
    expect(build.output).toMatch(/◐ \/\s/);
    expect(build.output).toMatch(/ƒ \/api\/halo-token/);
  });

  it('declares no `export const runtime` (refused under cacheComponents)', () => {
    const route = readFileSync(join(app, 'app/api/halo-token/route.ts'), 'utf8');
    expect(route).not.toMatch(/export const runtime/);
  });

  it('ships the token route with the signing code and no file or code of PGlite or pg', () => {
    const server = join(app, '.next/server/app/api/halo-token');
    const traced = (JSON.parse(readFileSync(join(server, 'route.js.nft.json'), 'utf8')) as { files: string[] }).files;
    expect(traced.filter((file) => DATABASE_FILE.test(file))).toEqual([]);
    // The route's own chunks: everything outside node_modules/next is the app's bundled code.
    const own = [join(server, 'route.js'), ...traced.filter((file) => !file.includes('node_modules')).map((file) => resolve(server, file))];
    const code = own.map((file) => readFileSync(file, 'utf8')).join('\n');
    expect(code).toContain('HS256');
    expect(code).not.toMatch(DATABASE_CODE);
    const bytes = own.reduce((sum, file) => sum + statSync(file).size, 0);
    console.log(`examples/nextjs: token route's own chunks ${own.length} files, ${bytes} bytes`);
  });
});

describe('examples/vite (Vite 8 + React 19) from the packed halo-widget', () => {
  let app: string;

  beforeAll(() => {
    app = installExample('vite', tarball);
  }, 60_000);

  afterAll(() => remove(app));

  it('type-checks with tsc and builds with `vite build`, shipping no signing or database code', async () => {
    const typecheck = await runNode([join(app, 'node_modules/typescript/bin/tsc'), '-p', '.'], app);
    expect(typecheck.status, typecheck.output).toBe(0);
    const build = await runNode([join(app, 'node_modules/vite/bin/vite.js'), 'build'], app);
    expect(build.status, build.output).toBe(0);
    const assets = join(app, 'dist/assets');
    expect(existsSync(assets), build.output).toBe(true);
    const code = readdirSync(assets)
      .filter((file) => file.endsWith('.js'))
      .map((file) => readFileSync(join(assets, file), 'utf8'))
      .join('\n');
    expect(code).toContain('halo-widget');
    expect(code).not.toMatch(DATABASE_CODE);
    expect(code).not.toMatch(/SignJWT|halo-widget\/server/);
  }, 240_000);
});
