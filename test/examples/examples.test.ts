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
import { launchBrowser, watch } from '../e2e/browser.js';
import { DATABASE_CODE, DATABASE_FILE, installExample, pack, remove, REPO, runNode } from './example-app.js';
import { startHaloApi, startNext, type HaloApi } from './nextjs-browser.js';

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
  let api: HaloApi;

  beforeAll(async () => {
    // The NEXT_PUBLIC_ values are inlined at build time: the API must be up before the build.
    api = await startHaloApi();
    app = installExample('nextjs', tarball, ['@next', '@swc', 'styled-jsx']);
    build = await runNode([join(app, 'node_modules/next/dist/bin/next'), 'build'], app, {
      NEXT_PUBLIC_HALO_API: api.url,
      NEXT_PUBLIC_HALO_WIDGET_KEY: api.widgetKey,
    });
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    remove(app);
  });

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

  it('under `next start` in Chromium, a soft navigation to /other and back keeps the page rendered with one widget that chats', async () => {
    expect(build.status, build.output).toBe(0);
    const next = await startNext(app, { HALO_IDENTITY_SECRET: api.secret });
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext();
      // The demo session of lib/auth.ts: the layout passes its user, the token route signs for it.
      await context.addCookies([{ name: 'session', value: 'demo-session', url: next.url }]);
      const page = await context.newPage();
      const problems = await watch(page);
      const widgets = () => page.locator('halo-widget').count();
      const launcher = page.getByRole('button', { name: /^Open support chat/ });
      await page.goto(next.url);
      await launcher.waitFor({ timeout: 15_000 });
      expect(await widgets()).toBe(1);
      // A full load would lose this mark: it proves both navigations are soft.
      await page.evaluate(() => ((window as unknown as { __mark: number }).__mark = 1));

      await page.getByRole('link', { name: 'Other page' }).click();
      await page.getByRole('heading', { name: 'Another page' }).waitFor({ timeout: 15_000 });
      expect(new URL(page.url()).pathname).toBe('/other');
      await page.getByRole('link', { name: 'Home' }).click();
      await page.getByRole('heading', { name: 'Your app' }).waitFor({ state: 'visible', timeout: 15_000 });
      expect(new URL(page.url()).pathname).toBe('/');
      expect(await page.evaluate(() => (window as unknown as { __mark?: number }).__mark)).toBe(1);

      await launcher.waitFor({ timeout: 15_000 });
      await page.waitForTimeout(500);
      expect(await widgets()).toBe(1);
      expect(await page.getByRole('button', { name: 'Help' }).isEnabled()).toBe(true);
      await launcher.click();
      await page.getByRole('dialog', { name: 'Support chat' }).waitFor({ timeout: 5000 });
      await page.getByRole('textbox', { name: 'Message' }).fill('Hello after a soft navigation');
      await page.getByRole('button', { name: 'Send' }).click();
      const log = page.getByRole('log', { name: 'Messages' });
      await log.getByText('Hello after a soft navigation', { exact: true }).waitFor({ timeout: 10_000 });
      // The service answered it for the signed-in user, whose token the example's route signed.
      await log.getByText(/^Hi Demo User .*verified/).waitFor({ timeout: 10_000 });
      expect(await log.locator('.m:not(.ty)').count()).toBe(2);
      expect(await widgets()).toBe(1);
      expect(problems.errors).toEqual([]);
      expect(problems.console.filter((text) => /shut ?down|halo/i.test(text))).toEqual([]);
      await context.close();
    } finally {
      await browser.close();
      await next.stop();
    }
  }, 120_000);
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
