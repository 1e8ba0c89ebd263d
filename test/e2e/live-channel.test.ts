// Issue 23 in a real Chromium against a real server: a message written into alice's
// conversation through the server appears in her open widget within a second and as an
// unread badge while it is closed; bob, on the same page after a user switch, never gets it;
// with 20-s tokens in enforce the channel follows the token (3 tabs, one getUserToken per expiry).
import jwt from 'jsonwebtoken';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedPage, launchBrowser, serverModule, startHostServer, watch, WIDGET, type HostServer } from './browser.js';
import { createSupportStoreDouble, type SupportStoreDouble } from '../helpers/support-store-double.js';

let server: Awaited<ReturnType<typeof serverModule>>;
let api: { url: string; close(): Promise<void> };
let host: HostServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let store: SupportStoreDouble;
let widgetKey: string;
let secret: string;
let snippet: string;

beforeAll(async () => {
  server = await serverModule();
  snippet = readFileSync(path.join(WIDGET, 'dist/snippet.js'), 'utf8');
  ({ widgetKey, identitySecret: secret } = server.generateProjectKeys());
  // The one line to change once the real stores implement SupportStore.
  store = createSupportStoreDouble();
  api = await server.startHaloServer({
    projects: [{ widgetKey, identitySecrets: [secret], mode: 'enforce' }],
    supportStore: store,
    logger: { info() {}, warn() {}, error: console.error },
    rateLimit: false,
  });
  host = await startHostServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await host?.close();
  await api?.close();
});

const sign = (userId: string, seconds: number) => {
  const iat = Math.floor(Date.now() / 1000);
  return jwt.sign({ user_id: userId, name: userId, iat, exp: iat + seconds }, secret);
};
const agent = (conversation: string, text: string) =>
  store.appendMessage(widgetKey, conversation, { author: 'agent', agent: { id: 'a1', name: 'Ann' }, text, client_message_id: null });

/** A page whose every `message` event is recorded in `window.__got`. */
function page(init: string): string {
  return embedPage({
    snippet,
    haloSrc: `${api.url}/halo.js`,
    init: `${init}; window.__got = []; Halo.on('message', (m) => window.__got.push({ id: m.id, text: m.text, author: m.author }));`,
  });
}
const got = (p: Page) => p.evaluate(() => (window as unknown as { __got: { id: string; text: string }[] }).__got);

describe('the live channel in Chromium', () => {
  it("shows an agent's message in alice's open widget within a second, as a badge while closed, and never to bob after a switch", async () => {
    const conversation = store.open(widgetKey, 'user:alice');
    host.routes.set('/', {
      body: page(`Halo.init(${JSON.stringify({ widgetKey, apiBase: api.url, userId: 'alice', userToken: sign('alice', 600) })})`),
    });
    const context = await browser.newContext();
    const tab = await context.newPage();
    const problems = await watch(tab);
    await tab.goto(host.url);
    const launcher = tab.getByRole('button', { name: /Open support chat/ });
    await launcher.click();
    // The channel is open once the server counts it (the widget subscribed at mount).
    await new Promise((r) => setTimeout(r, 1000));
    const written = Date.now();
    await agent(conversation, 'Hello Alice, this is Ann.');
    await tab.getByText('Hello Alice, this is Ann.').waitFor({ timeout: 5000 });
    const latency = Date.now() - written;
    expect(latency).toBeLessThan(1000);

    await tab.getByRole('button', { name: 'Close support chat' }).click();
    await agent(conversation, 'Are you still there?');
    await expect
      .poll(() => tab.evaluate(() => (window as unknown as { Halo: { getUnreadCount(): number } }).Halo.getUnreadCount()))
      .toBe(1);
    expect(await tab.locator('halo-widget').locator('.b').textContent()).toBe('1');
    expect(await launcher.getAttribute('aria-label')).toBe('Open support chat, 1 unread');
    expect((await got(tab)).map((m) => m.text)).toEqual(['Hello Alice, this is Ann.', 'Are you still there?']);

    // A user switch on the same page: bob's channel must never carry alice's message.
    await tab.evaluate(
      (token) =>
        (window as unknown as { Halo: { identify(u: string, t: object, o: object): Promise<void> } }).Halo.identify(
          'bob',
          {},
          { userToken: token },
        ),
      sign('bob', 600),
    );
    await tab.evaluate(() => ((window as unknown as { __got: unknown[] }).__got.length = 0));
    await new Promise((r) => setTimeout(r, 800));
    await agent(conversation, 'Only for Alice');
    const bobs = store.open(widgetKey, 'user:bob');
    await agent(bobs, 'Hello Bob');
    await expect.poll(() => got(tab).then((list) => list.map((m) => m.text))).toEqual(['Hello Bob']);
    expect(problems.console).toEqual([]);
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('with 20-s tokens in enforce the stream ends at expiry, reconnects with a fresh token, a message of the gap arrives once, one getUserToken per expiry for 3 tabs', async () => {
    const conversation = store.open(widgetKey, 'user:carol');
    let tokenCalls = 0;
    const originalGet = host.routes.get.bind(host.routes);
    host.routes.get = (key: string) => {
      if (key !== '/token') return originalGet(key);
      tokenCalls++;
      return { body: sign('carol', 20), type: 'text/plain' };
    };
    host.routes.set('/', {
      body: page(
        `Halo.init({ widgetKey: ${JSON.stringify(widgetKey)}, apiBase: ${JSON.stringify(api.url)}, launcher: false, userId: 'carol',
          userToken: ${JSON.stringify(sign('carol', 20))}, getUserToken: () => fetch('/token').then((r) => r.text()) })`,
      ),
    });
    const context = await browser.newContext();
    const tabs = await Promise.all([1, 2, 3].map(() => context.newPage()));
    for (const tab of tabs) await tab.goto(host.url);
    await new Promise((r) => setTimeout(r, 1500));
    await agent(conversation, 'first');
    for (const tab of tabs) await expect.poll(() => got(tab).then((l) => l.map((m) => m.text))).toEqual(['first']);
    // Across the first expiry (20 s) and into the next token's life, a message every 3 s.
    for (let i = 1; i <= 8; i++) {
      await new Promise((r) => setTimeout(r, 3000));
      await agent(conversation, `during ${i}`);
    }
    const expected = ['first', ...Array.from({ length: 8 }, (_, i) => `during ${i + 1}`)];
    for (const tab of tabs) await expect.poll(() => got(tab).then((l) => l.map((m) => m.text)), { timeout: 10_000 }).toEqual(expected);
    // 1 + 24 s of 20-s tokens: one or two refreshes, whatever the number of tabs.
    expect(tokenCalls).toBeGreaterThanOrEqual(1);
    expect(tokenCalls).toBeLessThanOrEqual(2);
    host.routes.get = originalGet;
    await context.close();
  }, 90_000);
});
