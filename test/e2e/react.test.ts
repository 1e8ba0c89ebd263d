// halo-widget/react in a real Chromium, under React 18 and React 19 with StrictMode on: a
// small app (test/e2e/react-app) bundled here with esbuild, talking to the reference API.
// halo-widget comes from its `npm pack` tarball, unpacked, so the `exports` and files users
// install are what runs (the workspace link would hide a file missing from the package).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, useEmbedSuite, watch, type Problems } from './browser.js';
import { installPackage, type InstalledPackage } from '../../packages/halo-widget/test/package/installed-package.js';

const suite = useEmbedSuite();
const APP = join(ROOT, 'test/e2e/react-app');
/** What React prints when a store's snapshot is not cached, or a render loops. */
const LOOPS = /getSnapshot should be cached|Maximum update depth|infinite loop/i;

let installed: InstalledPackage;
beforeAll(() => {
  installed = installPackage();
}, 60_000);
afterAll(() => installed?.remove());

/** Resolves `halo-widget` and its subpaths from the installed tarball, through its `exports`. */
const fromTarball: Plugin = {
  name: 'halo-widget-from-tarball',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^halo-widget(\/|$)/ }, async (args) => {
      if (args.pluginData === 'tarball') return undefined;
      const found = await esbuild.resolve(args.path, { kind: args.kind, resolveDir: installed.dir, pluginData: 'tarball' });
      if (!found.path.startsWith(join(installed.dir, 'node_modules/halo-widget/'))) {
        throw new Error(`${args.path} resolved outside the installed package: ${found.path}`);
      }
      return found;
    });
  },
};

interface Bundles {
  client: string;
  render(config: object): string;
}

/** The app for one React version: `react`/`react-dom` aliased to the `react18` packages for 18. */
async function bundle(major: 18 | 19, tmp: string): Promise<Bundles> {
  const alias: Record<string, string> = major === 18 ? { react: 'react18', 'react-dom': 'react-dom18' } : {};
  const common: BuildOptions = {
    bundle: true,
    write: false,
    jsx: 'automatic',
    absWorkingDir: ROOT,
    alias,
    plugins: [fromTarball],
    // React's development build: the one where StrictMode mounts, unmounts and mounts again.
    define: { 'process.env.NODE_ENV': '"development"' },
    // and halo-widget's development build (its `development` export), as a bundler's dev mode picks.
    conditions: ['development'],
    logLevel: 'error',
  };
  const [client, server] = await Promise.all([
    build({ ...common, entryPoints: [join(APP, 'client.jsx')], format: 'iife', platform: 'browser' }),
    build({ ...common, entryPoints: [join(APP, 'server.jsx')], format: 'esm', platform: 'node' }),
  ]);
  const file = join(tmp, `server-${major}.mjs`);
  writeFileSync(file, server.outputFiles![0]!.text);
  const { render } = (await import(pathToFileURL(file).href)) as Pick<Bundles, 'render'>;
  return { client: client.outputFiles![0]!.text, render };
}

describe.each([18, 19] as const)('halo-widget/react with React %i under StrictMode', (major) => {
  let app: Bundles;
  let tmp: string;
  let page: Page;
  let problems: Problems;
  let warnings: string[];
  let identifyCalls: number;
  let users = 0;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'halo-react-'));
    app = await bundle(major, tmp);
    suite.host.routes.set(`/app-${major}.js`, { body: app.client, type: 'text/javascript' });
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** Opens the app; with `ssr`, the page holds the server's markup and the app hydrates it. */
  async function openApp({
    user,
    ssr = false,
    widgetKey = suite.widgetKey,
  }: { user?: { id: string; name: string }; ssr?: boolean; widgetKey?: string | null } = {}): Promise<void> {
    const config = { widgetKey, apiBase: suite.api.url, user };
    const markup = ssr ? app.render(config) : '';
    suite.host.routes.set('/', {
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>React app</title></head><body>
<div id="root">${markup}</div>
<script>window.__config = ${JSON.stringify(config)}</script>
<script src="/app-${major}.js"></script></body></html>`,
    });
    page = await suite.newPage();
    problems = await watch(page);
    warnings = [];
    identifyCalls = 0;
    page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/api/sdk/identify')) identifyCalls++;
    });
    await page.goto(suite.host.url);
    if (widgetKey === suite.widgetKey) await expect.poll(() => status('data-ready')).toBe('yes');
  }

  const status = (attribute: string) => page.locator('#status').getAttribute(attribute);
  const widgets = () => page.locator('halo-widget').count();
  const launcher = () => page.getByRole('button', { name: 'Open support chat' });
  const seen = <T>(read: string) => page.evaluate(`(${read})(window.__seen)`) as Promise<T>;
  const nextUser = () => ({ id: `react-${major}-${++users}`, name: 'Rita React' });

  const expectNoProblems = () => {
    expect(problems.console.filter((line) => !/favicon/.test(line))).toEqual([]);
    expect(problems.errors).toEqual([]);
    expect(warnings.filter((line) => /react|hydrat|halo/i.test(line))).toEqual([]);
  };

  it(`runs on React ${major}`, async () => {
    await openApp();
    expect(await seen<string>('(s) => s.version')).toMatch(new RegExp(`^${major}\\.`));
  });

  it('mounts one client, one widget and posts one identify under the double mount', async () => {
    const user = nextUser();
    await openApp({ user });
    await expect.poll(() => status('data-user')).toBe(user.id);
    await expect.poll(() => launcher().isVisible()).toBe(true);
    // Whatever a second client would have done, it would have done by now.
    await page.waitForTimeout(500);
    expect(await widgets()).toBe(1);
    expect(identifyCalls).toBe(1);
    expect(await seen<number>('(s) => s.clients.size')).toBe(1);
    expectNoProblems();
  });

  it('keeps the anonymous visitor and their conversation across a remount of the provider', async () => {
    await openApp();
    await page.evaluate(() => (window as any).__halo.sendMessage('Hello from before the remount'));
    const visitor = () => page.evaluate((key) => localStorage.getItem(`halo:${key}:visitor`), suite.widgetKey);
    const before = await visitor();
    expect(before).toMatch(/^[0-9a-f-]{36}$/);
    await page.evaluate(() => (window as any).__app.remount());
    await expect.poll(() => seen<number>('(s) => s.clients.size')).toBe(2);
    expect(await visitor()).toBe(before);
    const texts = await page.evaluate(async () => ((await (window as any).__halo.history()) as Array<{ text: string }>).map((m) => m.text));
    expect(texts[0]).toBe('Hello from before the remount');
    // The first client's widget went with it.
    await expect.poll(() => widgets()).toBe(1);
    expectNoProblems();
  });

  it('a sign-in in props is an identify() on the same client; the identity hook follows it without looping', async () => {
    await openApp();
    await expect.poll(() => status('data-status')).toBe('anonymous');
    const rendersBefore = await seen<number>('(s) => s.renders');
    const user = nextUser();
    await page.evaluate((u) => (window as any).__app.setUser(u), user);
    await expect.poll(() => status('data-user')).toBe(user.id);
    await expect.poll(() => status('data-status')).toBe('identified');
    expect(identifyCalls).toBe(1);
    expect(await seen<number>('(s) => s.clients.size')).toBe(1);
    // A handful of renders (StrictMode renders twice), not a loop.
    expect((await seen<number>('(s) => s.renders')) - rendersBefore).toBeLessThan(20);
    expect(problems.console.filter((line) => LOOPS.test(line))).toEqual([]);
    expectNoProblems();
  });

  it('a sign-out in props shuts the user down and starts a fresh anonymous client', async () => {
    const user = nextUser();
    await openApp({ user });
    await expect.poll(() => status('data-user')).toBe(user.id);
    await page.evaluate(() => (window as any).__app.setUser(null));
    await expect.poll(() => status('data-user')).toBe('');
    await expect.poll(() => seen<number>('(s) => s.clients.size')).toBe(2);
    await expect.poll(() => widgets()).toBe(1);
    expectNoProblems();
  });

  it('useIsOpen and useUnreadCount follow the panel and the replies that arrive while it is closed', async () => {
    await openApp();
    await expect.poll(() => launcher().isVisible()).toBe(true);
    await page.evaluate(() => (window as any).__halo.sendMessage('Anyone there?'));
    await expect.poll(() => status('data-unread')).toBe('1');
    expect(await status('data-open')).toBe('false');
    await launcher().click();
    await expect.poll(() => status('data-open')).toBe('true');
    expect(await status('data-unread')).toBe('0');
    await page.keyboard.press('Escape');
    await expect.poll(() => status('data-open')).toBe('false');
    expect(await seen<string[]>('(s) => s.messages')).toEqual(['user: Anyone there?', expect.stringMatching(/^assistant: /)]);
    expectNoProblems();
  });

  it('renders on the server without a client or widget markup, and hydrates without warnings', async () => {
    const user = nextUser();
    const markup = app.render({ widgetKey: suite.widgetKey, apiBase: suite.api.url, user });
    expect(markup).toContain('data-ready="no"');
    expect(markup).toContain('data-status="anonymous"');
    expect(markup).not.toMatch(/halo-widget|<script/);
    await openApp({ user, ssr: true });
    await expect.poll(() => status('data-user')).toBe(user.id);
    await expect.poll(() => widgets()).toBe(1);
    expect(identifyCalls).toBe(1);
    expectNoProblems();
  });

  it.runIf(major === 19)('an <Activity> hiding and showing the provider keeps the page rendered with one widget', async () => {
    const user = nextUser();
    await openApp({ user });
    await expect.poll(() => launcher().isVisible()).toBe(true);
    await page.evaluate(() => (window as any).__app.setHidden(true));
    await expect.poll(() => widgets()).toBe(0);
    await page.evaluate(() => (window as any).__app.setHidden(false));
    await expect.poll(() => launcher().isVisible()).toBe(true);
    await expect.poll(() => status('data-user')).toBe(user.id);
    await page.waitForTimeout(300);
    expect(await widgets()).toBe(1);
    expect(await page.locator('h1').textContent()).toBe('React app');
    expectNoProblems();
  });

  it("the app's own shutdown() then a component with Halo hooks mounting keeps the page rendered with one widget", async () => {
    const user = nextUser();
    await openApp({ user });
    await expect.poll(() => status('data-user')).toBe(user.id);
    await page.evaluate(() => (window as any).__halo.shutdown());
    await page.evaluate(() => (window as any).__app.showLate());
    await expect.poll(() => page.locator('#late').textContent({ timeout: 500 })).toBe('anonymous');
    await expect.poll(() => launcher().isVisible()).toBe(true);
    expect(await widgets()).toBe(1);
    expect(await status('data-user')).toBe('');
    expectNoProblems();
  });

  it.each([
    ['an unset widgetKey', null, 'invalid_options'],
    ['a secret as the widget key', 'ha_secret_0123456789abcdef0123456789abcdef', 'secret_exposed'],
  ])('%s leaves the app rendered, starts no widget and reports the error once', async (_, widgetKey, code) => {
    await openApp({ widgetKey });
    await expect.poll(() => status('data-error')).toBe(code);
    await page.waitForTimeout(300);
    expect(await page.locator('h1').textContent()).toBe('React app');
    expect(await status('data-ready')).toBe('no');
    expect(await widgets()).toBe(0);
    expect(await seen<string[]>('(s) => s.errors')).toEqual([code]);
    // Once on the console (development build), and nothing else went wrong.
    expect(problems.console.filter((line) => !/favicon/.test(line))).toEqual([expect.stringContaining(code)]);
    expect(problems.errors).toEqual([]);
  });
});
