// Shared set-up of the real-browser tests: Debian's Chromium through playwright-core,
// loopback servers on port 0, and a recorder of everything a page should never do.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type * as ServerModule from '../../packages/halo-widget-server/src/index.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const RESULTS = path.join(ROOT, 'test-results');
/** The browser package: its dist/ holds the script-tag files. */
export const WIDGET = path.join(ROOT, 'packages/halo-widget');

const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Launches headless Chromium; never skips: without a browser the run fails and says how to fix it. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(
      `No Chromium at ${executablePath}: the browser tests need one and are never skipped. ` +
        'Install it with `apt-get install -y chromium`, or point CHROMIUM_PATH at a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
}

/** The built server entry (dist/), as a user of `halo-widget/server` gets it. */
export async function serverModule(): Promise<typeof ServerModule> {
  const file = path.join(ROOT, 'packages/halo-widget-server/dist/index.mjs');
  if (!existsSync(file)) throw new Error('dist/ is missing: run `npm run build` (npm run test:e2e does).');
  return import(pathToFileURL(file).href);
}

type ServerModule = Awaited<ReturnType<typeof serverModule>>;

/** What a browser test file shares: a Halo API, the host app, Chromium, and this test's context. */
export interface EmbedSuite {
  server: ServerModule;
  api: { url: string; close(): Promise<void> };
  host: HostServer;
  browser: Browser;
  widgetKey: string;
  secret: string;
  /** The API's project, a live object: a change to `identitySecrets` applies to the next request. */
  project: { widgetKey: string; identitySecrets?: string[]; mode?: 'off' | 'monitor' | 'enforce' };
  /** dist/snippet.js, for the first of the three tags. */
  snippet: string;
  /** The current test's browser context, if it opened one; closed after each test. */
  context: BrowserContext | undefined;
  /** {@link embedPage} with this suite's snippet and the API's halo.js (unless given). */
  embed(options: Omit<EmbedOptions, 'snippet' | 'haloSrc'> & { haloSrc?: EmbedOptions['haloSrc'] }): string;
  /** A page in a new context for this test (closing the test's previous one). */
  newPage(options?: BrowserContextOptions): Promise<Page>;
}

/**
 * Registers the hooks of a browser test file: one project on a real Halo API (`enforce`
 * with a fresh secret, or the default mode without one), the host app and Chromium, all
 * on 127.0.0.1 port 0, stopped after the file; the test's context is closed after each test.
 */
export function useEmbedSuite({ enforce = false } = {}): EmbedSuite {
  const suite = {
    context: undefined,
    embed: (options) => embedPage({ snippet: suite.snippet, haloSrc: `${suite.api.url}/halo.js`, ...options }),
    async newPage(options) {
      await suite.context?.close();
      suite.context = await suite.browser.newContext(options);
      return suite.context.newPage();
    },
  } as EmbedSuite;
  beforeAll(async () => {
    suite.server = await serverModule();
    suite.snippet = readFileSync(path.join(WIDGET, 'dist/snippet.js'), 'utf8');
    ({ widgetKey: suite.widgetKey, identitySecret: suite.secret } = suite.server.generateProjectKeys());
    const project = enforce
      ? { widgetKey: suite.widgetKey, identitySecrets: [suite.secret], mode: 'enforce' as const }
      : { widgetKey: suite.widgetKey };
    suite.project = project;
    suite.api = await suite.server.startHaloServer({
      projects: [project],
      port: 0,
      host: '127.0.0.1',
      logger: { info() {}, warn() {}, error: console.error },
      // The browser tests send bursts from one address; the limits have their own tests.
      rateLimit: false,
    });
    suite.host = await startHostServer();
    suite.browser = await launchBrowser();
  });
  afterEach(async () => {
    await suite.context?.close();
    suite.context = undefined;
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.host?.close();
    await suite.api?.close();
  });
  return suite;
}

export interface PageRoute {
  body: string;
  type?: string;
  headers?: Record<string, string>;
}

export interface HostServer {
  url: string;
  /** Pages by path; a test may add more before it navigates. */
  routes: Map<string, PageRoute>;
  close(): Promise<void>;
}

/** The "customer app": serves the pages a test puts in `routes`, and a favicon. */
export async function startHostServer(): Promise<HostServer> {
  const routes = new Map<string, PageRoute>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    if (!route) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
    res.writeHead(200, { 'Content-Type': route.type ?? 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...route.headers });
    res.end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routes,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a page did wrong: console errors, uncaught exceptions, CSP violations. */
export interface Problems {
  console: string[];
  errors: string[];
  csp(): Promise<string[]>;
}

/**
 * Records a page's console errors, uncaught errors and `securitypolicyviolation` events.
 * The listener is an init script, which the DevTools protocol injects past the page's CSP.
 */
export async function watch(page: Page): Promise<Problems> {
  const problems = { console: [] as string[], errors: [] as string[] };
  page.on('console', (message) => {
    if (message.type() === 'error') problems.console.push(message.text());
  });
  page.on('pageerror', (error) => problems.errors.push(String(error)));
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return { ...problems, csp: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp) };
}

/** Saves a screenshot under test-results/ (gitignored) as a test artifact. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, name);
  await page.screenshot({ path: file });
  return file;
}

export interface EmbedOptions {
  snippet: string;
  haloSrc: string | string[];
  init: string;
  nonce?: string;
  extraHead?: string;
  body?: string;
}

/** An HTML page that embeds the widget with the three tags of the script-tag embed (a nonce on the inline ones). */
export function embedPage({ snippet, haloSrc, init, nonce, extraHead = '', body = '' }: EmbedOptions): string {
  const n = nonce ? ` nonce="${nonce}"` : '';
  const srcs = (Array.isArray(haloSrc) ? haloSrc : [haloSrc]).map((src) => `<script async src="${src}"></script>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host app</title>${extraHead}
<script${n}>${snippet}</script>
${srcs}
<script${n}>${init}</script>
</head><body><main><h1>Host app</h1><p>Some content.</p><button type="button" id="app-button">App button</button></main>${body}</body></html>`;
}
