// The README's quickstart, run as written: its Express and Next.js token endpoints, its
// script-tag embed and its React block (bundled with esbuild, React 19, StrictMode), each under
// its Content-Security-Policy, against the reference Halo API in `enforce` mode, in Chromium. Each block is taken from README.md by its
// `<!-- quickstart:… -->` marker; only the placeholders the README tells a user to replace are
// replaced, so a README edit that breaks the quickstart breaks this test.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';
import type { Express } from 'express';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RESULTS, ROOT, WIDGET, launchBrowser, serverModule, watch, type Problems } from './browser.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The fenced block that follows `<!-- quickstart:<name> -->` in the README, verbatim. */
function quickstart(name: string): string {
  const match = new RegExp(`<!-- quickstart:${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(README);
  if (!match) throw new Error(`README.md has no fenced block after <!-- quickstart:${name} -->`);
  return match[1];
}

/** Replaces each placeholder the README names, failing if the block no longer contains it. */
function fill(block: string, values: Record<string, string>): string {
  let out = block;
  for (const [placeholder, value] of Object.entries(values)) {
    if (!out.includes(placeholder)) throw new Error(`the quickstart block no longer contains ${placeholder}`);
    out = out.split(placeholder).join(value);
  }
  return out;
}

interface User {
  id: string;
  name: string;
  email: string;
  plan: string;
}
const ALICE: User = { id: 'alice', name: 'Alice', email: 'alice@example.com', plan: 'pro' };

/** What the test module built around the README's Express block exposes. */
interface BackendModule {
  app: Express;
}

/** The README's Next.js route handler. */
interface NextRoute {
  GET(request: Request): Promise<Response>;
}

/** "Your auth" in both token endpoints: the user whose session is open, or null. */
function signIn(user: User | null): void {
  (globalThis as { __quickstartSession?: User | null }).__quickstartSession = user;
}

const SESSION_USER = 'async function sessionUser(request) { return globalThis.__quickstartSession ?? null; }';

/**
 * Writes the README's Express block into a module, between a prelude that plays "your auth"
 * (`sessionUser`, a session the test switches) and an epilogue that exports the app. The file
 * lives under the package root so that `halo-widget/server` resolves to this package's dist/.
 */
async function loadBackend(): Promise<BackendModule> {
  const prelude = `${SESSION_USER}
`;
  const epilogue = `
export { app };
`;
  const dir = path.join(RESULTS, 'readme-quickstart');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `backend-${process.pid}.mjs`);
  writeFileSync(file, prelude + quickstart('server') + epilogue);
  return import(pathToFileURL(file).href);
}

/**
 * The README's Next.js route handler with its types stripped (as Next.js does), next to a
 * stand-in for its `@/lib/session` import.
 */
async function loadNextRoute(): Promise<NextRoute> {
  const dir = path.join(RESULTS, 'readme-quickstart', 'next');
  const lib = path.join(dir, 'node_modules/@/lib');
  mkdirSync(lib, { recursive: true });
  writeFileSync(
    path.join(lib, 'package.json'),
    JSON.stringify({ name: '@/lib', type: 'module', exports: { './session': './session.js' } }),
  );
  writeFileSync(
    path.join(lib, 'session.js'),
    `export ${SESSION_USER}
`,
  );
  const { outputText } = ts.transpileModule(quickstart('nextjs'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = path.join(dir, `route-${process.pid}.mjs`);
  writeFileSync(file, outputText);
  return import(pathToFileURL(file).href);
}

/**
 * The README's React block in a module of its own, bundled for the browser with esbuild and
 * React 19's development build (where StrictMode mounts, unmounts and mounts again). The entry
 * plays "your app": it mounts the block's component under StrictMode with the page's
 * `currentUser`, as an app mounts it near its root.
 */
async function bundleReactApp(): Promise<string> {
  const dir = path.join(RESULTS, 'readme-quickstart', 'react');
  mkdirSync(dir, { recursive: true });
  const block = fill(quickstart('react'), { 'https://halo.example.com': api.url, 'ab_live_…': project.widgetKey });
  const component = /export function (\w+)/.exec(block)?.[1];
  if (!component) throw new Error('the React quickstart block exports no component');
  writeFileSync(path.join(dir, 'quickstart.jsx'), block);
  writeFileSync(
    path.join(dir, 'main.jsx'),
    `import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ${component} } from './quickstart.jsx';

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <${component} currentUser={window.currentUser}><h1>React app</h1></${component}>
  </StrictMode>,
);
`,
  );
  const result = await build({
    entryPoints: [path.join(dir, 'main.jsx')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    jsx: 'automatic',
    absWorkingDir: ROOT,
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'error',
  });
  return result.outputFiles[0]!.text;
}

/** Answers a Node request with the route handler's web `Response`. */
async function serveRoute(route: NextRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers = Object.entries(req.headers).flatMap(([name, value]) =>
    value === undefined ? [] : [[name, String(value)] as [string, string]],
  );
  const response = await route.GET(new Request(`${appUrl}${req.url}`, { headers }));
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}

let server: Awaited<ReturnType<typeof serverModule>>;
let api: { url: string; close(): Promise<void> };
let project: { widgetKey: string; identitySecrets: string[]; mode: 'enforce' };
let backend: BackendModule;
let nextRoute: NextRoute;
/** Which README token endpoint answers `/api/halo-token`. */
let endpoint: 'express' | 'nextjs' = 'express';
let appServer: Server;
let appUrl: string;
let browser: Browser;
let page: Page;
/** Requests from the page to the Halo API not answered yet. */
let apiCallsInFlight = 0;
let problems: Problems;
/** The token endpoint's answers (statuses), in order. */
const tokenAnswers: number[] = [];
const pages = new Map<string, { html: string; csp?: string }>();
const NONCE = 'bm9uY2UtcXVpY2tzdGFydA';

/** A new identity secret for the Halo API and the token endpoint alike (a rotation). */
function rotateSecret(): void {
  const { identitySecret } = server.generateProjectKeys();
  project.identitySecrets = [identitySecret];
  process.env.HALO_IDENTITY_SECRET = identitySecret;
}

beforeAll(async () => {
  server = await serverModule();
  const keys = server.generateProjectKeys();
  project = { widgetKey: keys.widgetKey, identitySecrets: [keys.identitySecret], mode: 'enforce' };
  process.env.HALO_IDENTITY_SECRET = keys.identitySecret;
  api = await server.startHaloServer({
    projects: [project],
    // Every test here is one browser on 127.0.0.1 that signs out and is refused on purpose
    // (refusals are charged to the address, refusals-are-charged), and every test is Alice in
    // one project (verified calls are charged to her): both budgets are sized for the whole
    // file rather than for one page load, or a later test meets a 429 the earlier ones earned.
    rateLimit: { burst: 5_000, perSecond: 500, perAddress: { burst: 5_000, perSecond: 500 } },
    port: 0,
    host: '127.0.0.1',
    logger: { info() {}, warn() {}, error: console.error },
  });
  backend = await loadBackend();
  nextRoute = await loadNextRoute();
  // The rest of "your app": its pages and the React bundle (served by the same Express app as
  // the token endpoint, on another origin than the Halo API) and the login page.
  const reactBundle = await bundleReactApp();
  backend.app.get('/react-app.js', (_req, res) => void res.type('text/javascript').send(reactBundle));
  backend.app.get('/login', (_req, res) => void res.type('html').send('<!doctype html><title>Log in</title><h1>Log in</h1>'));
  backend.app.get('/favicon.ico', (_req, res) => void res.sendStatus(204));
  backend.app.get('/:page', (req, res) => {
    const found = pages.get(req.params.page);
    if (!found) return void res.sendStatus(404);
    if (found.csp) res.set('Content-Security-Policy', found.csp);
    res.set('Cache-Control', 'no-store').type('html').send(found.html);
  });
  appServer = createServer((req, res) => {
    if (!req.url?.startsWith('/api/halo-token')) return void backend.app(req, res);
    res.on('finish', () => tokenAnswers.push(res.statusCode));
    if (endpoint === 'express') return void backend.app(req, res);
    serveRoute(nextRoute, req, res).catch((error: unknown) => {
      console.error(error);
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
  browser = await launchBrowser();

  const currentUser = `<script nonce="${NONCE}">const currentUser = ${JSON.stringify({ id: ALICE.id, name: ALICE.name, email: ALICE.email })};</script>`;
  const snippet = readFileSync(path.join(WIDGET, 'dist/snippet.js'), 'utf8');
  const scriptTag = fill(quickstart('script-tag'), {
    '/* contents of dist/snippet.js */': snippet,
    'https://halo.example.com': api.url,
    'ab_live_…': project.widgetKey,
    'nonce="…"': `nonce="${NONCE}"`,
  });
  const csp = fill(quickstart('csp'), { 'https://halo.example.com': api.url, "'nonce-…'": `'nonce-${NONCE}'` }).replace(/\s*\n\s*/g, ' ');
  pages.set('script-tag', {
    csp,
    html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title>${currentUser}\n${scriptTag}</head><body><h1>App</h1></body></html>`,
  });
  pages.set('react', {
    csp,
    html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>React app</title>${currentUser.replace('const currentUser', 'window.currentUser')}</head><body><div id="root"></div><script nonce="${NONCE}" src="/react-app.js"></script></body></html>`,
  });
});

afterAll(async () => {
  rmSync(path.join(RESULTS, 'readme-quickstart'), { recursive: true, force: true });
  await browser?.close();
  await new Promise<void>((resolve) => {
    if (!appServer) return resolve();
    appServer.closeAllConnections();
    appServer.close(() => resolve());
  });
  await api?.close();
});

beforeEach(async () => {
  endpoint = 'express';
  signIn(ALICE);
  tokenAnswers.length = 0;
  rotateSecret();
  page = await (await browser.newContext()).newPage();
  problems = await watch(page);
  apiCallsInFlight = 0;
  // Calls, not the live channel: its stream stays open for as long as the page does.
  const toApi = (request: { url(): string }) => request.url().startsWith(api.url) && !request.url().endsWith('/api/sdk/channel');
  page.on('request', (request) => void (toApi(request) && apiCallsInFlight++));
  page.on('requestfinished', (request) => void (toApi(request) && apiCallsInFlight--));
  page.on('requestfailed', (request) => void (toApi(request) && apiCallsInFlight--));
});

afterEach(async () => {
  await page?.context().close();
});

const log = () => page.getByRole('log', { name: 'Messages' });

async function send(text: string): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'Support chat' });
  if (!(await dialog.isVisible())) await page.getByRole('button', { name: 'Open support chat' }).click();
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('textbox', { name: 'Message' }).press('Enter');
}

async function chatsAsVerifiedAlice(): Promise<void> {
  await send('Where is my invoice?');
  await expect.poll(() => log().textContent()).toContain('Hi Alice (pro plan), verified. We got: "Where is my invoice?"');
  expect(tokenAnswers).toEqual([200]);
}

/** The session ends at the app (its token endpoint now answers 401) and the API stops accepting the token. */
async function expiresAndGoesToLogin(): Promise<void> {
  // The calls made so far (the panel's history load may still be on its way under load) are
  // answered before the session ends, so the send below is what meets the refused token.
  await expect.poll(() => apiCallsInFlight).toBe(0);
  signIn(null);
  rotateSecret();
  await send('Are you still there?');
  // The README's handler keeps the page to come back to: /login?next=…
  await page.waitForURL((url) => url.href.startsWith(`${appUrl}/login`));
  expect(tokenAnswers.slice(-1)).toEqual([401]);
}

describe('the README quickstart: Express token endpoint + script tag + strict CSP', () => {
  beforeEach(async () => {
    await page.goto(`${appUrl}/script-tag`);
  });

  it('chats as a verified user, with no CSP violation or console error', async () => {
    await chatsAsVerifiedAlice();
    expect(await problems.csp()).toEqual([]);
    expect(problems.console).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('refreshes the token through the token endpoint when the API refuses it, and the message still goes out', async () => {
    await chatsAsVerifiedAlice();
    rotateSecret();
    await send('After the rotation');
    await expect.poll(() => log().textContent()).toContain('verified. We got: "After the rotation"');
    expect(tokenAnswers).toEqual([200, 200]);
    expect(await problems.csp()).toEqual([]);
  });

  it('refreshes the token through the token endpoint before a call once the token is near its expiry', async () => {
    await chatsAsVerifiedAlice();
    // 56 minutes later the one-hour token is inside the 5-minute refresh window.
    await page.clock.install();
    await page.clock.fastForward(56 * 60_000);
    await send('An hour later');
    await expect.poll(() => log().textContent()).toContain('verified. We got: "An hour later"');
    expect(tokenAnswers).toEqual([200, 200]);
  });

  it('calls onIdentityExpired (the login redirect) once the session has ended and the token is refused', async () => {
    await chatsAsVerifiedAlice();
    await expiresAndGoesToLogin();
  });

  // Nothing typed is lost across a re-login (issue 26): the message held when the session
  // ended survives the redirect and is sent, once, when Alice is back on the page signed in.
  it('sends the message held at the login redirect once Alice has signed in again and is back on the page', async () => {
    await chatsAsVerifiedAlice();
    await expiresAndGoesToLogin();
    const kept = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(kept).toContain('Are you still there?');
    expect(kept).not.toMatch(/eyJ[\w-]+\.eyJ/);
    signIn(ALICE);
    await page.goto(`${appUrl}/script-tag`);
    await page.getByRole('button', { name: 'Open support chat' }).click();
    await expect.poll(() => log().textContent(), { timeout: 20_000 }).toContain('verified. We got: "Are you still there?"');
    await expect.poll(() => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('halo:held:')).length)).toBe(0);
    // Once: after a reload the stored history (earlier tests' exchanges included, same server
    // and user) shows exactly the replies seen live, so the held message was stored once.
    const count = (text: string | null, what: string) => (text ?? '').split(`We got: "${what}"`).length - 1;
    const live = await log().textContent();
    await page.reload();
    await page.getByRole('button', { name: 'Open support chat' }).click();
    await expect.poll(async () => count(await log().textContent(), 'Where is my invoice?')).toBe(count(live, 'Where is my invoice?'));
    expect(count(await log().textContent(), 'Are you still there?')).toBe(count(live, 'Are you still there?'));
  });

  // refresh-failure-keeps-messages (issue 17, fix 3): a token past `exp` whose refresh is
  // answered 401 is sent anyway; enforce refuses it, one forced refresh fails too, and the
  // expired episode opens — onIdentityExpired sends the user to log in.
  it('calls onIdentityExpired once the session has ended and the token is past its expiry', async () => {
    await chatsAsVerifiedAlice();
    signIn(null);
    await page.clock.install();
    await page.clock.fastForward(61 * 60_000);
    await send('After the session ended');
    await page.waitForURL((url) => url.href.startsWith(`${appUrl}/login`), { timeout: 5_000 });
    expect(tokenAnswers.slice(-1)).toEqual([401]);
  });

  it('has a forged token refused by the API in enforce mode', async () => {
    await chatsAsVerifiedAlice();
    const forged = await server.signUserToken({ user_id: 'alice', name: 'Alice' }, server.generateProjectKeys().identitySecret);
    const answer = await page.evaluate(
      async ({ url, widgetKey, token }) => {
        const r = await fetch(`${url}/api/sdk/history`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ widget_key: widgetKey, user_id: 'alice', user_token: token }),
        });
        return { status: r.status, identity: r.headers.get('Halo-Identity'), body: await r.json() };
      },
      { url: api.url, widgetKey: project.widgetKey, token: forged },
    );
    expect(answer.status).toBe(403);
    expect(answer.identity).toBe('unverified; reason=token_invalid');
    expect(answer.body.error).toMatchObject({ code: 'identity_verification_failed', reason: 'token_invalid' });
    expect(JSON.stringify(answer.body)).not.toContain('Where is my invoice?');
  });
});

describe('the README quickstart: React block (React 19, StrictMode) with the same token endpoint and CSP', () => {
  let identifyRequests: number;

  beforeEach(async () => {
    identifyRequests = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url() === `${api.url}/api/sdk/identify`) identifyRequests++;
    });
    await page.goto(`${appUrl}/react`);
    await expect.poll(() => page.getByRole('button', { name: 'Open support chat' }).isVisible()).toBe(true);
  });

  it('chats as a verified user, with one identify request under StrictMode and no CSP violation or console error', async () => {
    await chatsAsVerifiedAlice();
    expect(identifyRequests).toBe(1);
    expect(await page.locator('halo-widget').count()).toBe(1);
    expect(await problems.csp()).toEqual([]);
    expect(problems.console).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('calls onIdentityExpired (the login redirect) once the session has ended and the token is refused', async () => {
    await chatsAsVerifiedAlice();
    await expiresAndGoesToLogin();
    expect(identifyRequests).toBe(1);
  });
});

describe('the README quickstart: Next.js route handler + script tag', () => {
  beforeEach(async () => {
    endpoint = 'nextjs';
    await page.goto(`${appUrl}/script-tag`);
  });

  it('chats as a verified user', async () => {
    await chatsAsVerifiedAlice();
    expect(await problems.csp()).toEqual([]);
  });

  it('calls onIdentityExpired (the login redirect) once the session has ended and the token is refused', async () => {
    await chatsAsVerifiedAlice();
    await expiresAndGoesToLogin();
  });
});
