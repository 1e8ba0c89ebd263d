// Issue 23 in a real Chromium against a real server: a message written into alice's
// conversation through the server appears in her open widget within a second and as an
// unread badge while it is closed; bob, on the same page after a user switch, never gets it;
// with 20-s tokens in enforce the channel follows the token (3 tabs, one getUserToken per expiry).
import jwt from 'jsonwebtoken';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedPage, launchBrowser, serverModule, startHostServer, watch, WIDGET, type HostServer } from './browser.js';
import type { ConversationStore } from '../../packages/halo-widget-server/src/index.js';

let server: Awaited<ReturnType<typeof serverModule>>;
let api: { url: string; close(): Promise<void> };
let host: HostServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let store: ConversationStore;
let widgetKey: string;
let secret: string;
let snippet: string;

beforeAll(async () => {
  server = await serverModule();
  snippet = readFileSync(path.join(WIDGET, 'dist/snippet.js'), 'utf8');
  ({ widgetKey, identitySecret: secret } = server.generateProjectKeys());
  store = server.createMemoryStore();
  api = await server.startHaloServer({
    projects: [{ widgetKey, identitySecrets: [secret], mode: 'enforce' }],
    store,
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
/** The owner's conversation, as their first chat opens it (their message and the reply: seqs 1 and 2). */
const conversationOf = async (owner: string): Promise<string> => {
  const at = new Date().toISOString();
  const opened = await store.chatExchange(widgetKey, owner, null, null, async () => ({
    message: { id: `msg_${crypto.randomUUID()}`, text: 'hello', created_at: at },
    reply: { id: `msg_${crypto.randomUUID()}`, text: 'hi', created_at: at },
  }));
  return opened!.conversation.id;
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
    const conversation = await conversationOf('user:alice');
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

    // Bob chatted before (elsewhere): his conversation exists before his widget's channel opens.
    const bobs = await conversationOf('user:bob');
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
    await agent(bobs, 'Hello Bob');
    await expect.poll(() => got(tab).then((list) => list.map((m) => m.text))).toEqual(['Hello Bob']);
    expect(problems.console).toEqual([]);
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('with 20-s tokens in enforce the stream ends at expiry, reconnects with a fresh token, a message of the gap arrives once, one getUserToken per expiry for 3 tabs', async () => {
    const conversation = await conversationOf('user:carol');
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

  it('after the server drops every connection and refuses new ones for a while, the widget reconnects and gets the messages of the gap, each once', async () => {
    // A TCP front for the API that can "crash": every connection reset, the port closed, then back.
    const target = new URL(api.url);
    const sockets = new Set<net.Socket>();
    let front = net.createServer();
    const serve = (port = 0) =>
      new Promise<number>((resolve) => {
        front = net.createServer((client) => {
          const upstream = net.connect(Number(target.port), target.hostname);
          client.pipe(upstream).pipe(client);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('error', () => s.destroy());
            s.on('close', () => sockets.delete(s));
          }
        });
        front.listen(port, '127.0.0.1', () => resolve((front.address() as net.AddressInfo).port));
      });
    const port = await serve();
    const conversation = await conversationOf('user:dave');
    host.routes.set('/', {
      body: page(
        `Halo.init(${JSON.stringify({ widgetKey, apiBase: `http://127.0.0.1:${port}`, launcher: false, userId: 'dave', userToken: sign('dave', 600) })})`,
      ),
    });
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(host.url);
    await new Promise((r) => setTimeout(r, 1500));
    await agent(conversation, 'before');
    await expect.poll(() => got(tab).then((l) => l.map((m) => m.text))).toEqual(['before']);
    await new Promise<void>((resolve) => {
      front.close(() => resolve());
      sockets.forEach((s) => s.destroy());
    });
    await agent(conversation, 'gap 1');
    await agent(conversation, 'gap 2');
    await new Promise((r) => setTimeout(r, 2000));
    await serve(port);
    await expect.poll(() => got(tab).then((l) => l.map((m) => m.text)), { timeout: 40_000 }).toEqual(['before', 'gap 1', 'gap 2']);
    await agent(conversation, 'after');
    await expect.poll(() => got(tab).then((l) => l.map((m) => m.text)), { timeout: 10_000 }).toEqual(['before', 'gap 1', 'gap 2', 'after']);
    await context.close();
    await new Promise<void>((resolve) => {
      front.close(() => resolve());
      sockets.forEach((s) => s.destroy());
    });
  }, 90_000);

  it("after the user's session ends in enforce (getUserToken rejects), no channel request goes out until identify() brings a token; then it resumes from the cursor", async () => {
    const conversation = await conversationOf('user:erin');
    host.routes.set('/', {
      body: page(
        `window.__expired = []; Halo.init({ widgetKey: ${JSON.stringify(widgetKey)}, apiBase: ${JSON.stringify(api.url)}, launcher: false,
          userId: 'erin', userToken: ${JSON.stringify(sign('erin', 5))}, getUserToken: () => Promise.reject(new Error('signed out')),
          onIdentityExpired: (e) => window.__expired.push(e.reason) })`,
      ),
    });
    const context = await browser.newContext();
    const tab = await context.newPage();
    const problems = await watch(tab);
    const channel: { after?: Record<string, number> }[] = [];
    tab.on('request', (request) => request.url().endsWith('/api/sdk/channel') && channel.push(request.postDataJSON()));
    await tab.goto(host.url);
    await new Promise((r) => setTimeout(r, 1500));
    await agent(conversation, 'before the end');
    await expect.poll(() => got(tab).then((l) => l.map((m) => m.text))).toEqual(['before the end']);
    // At exp the server ends the stream; the one forced getUserToken fails: the expired episode.
    const expired = () => tab.evaluate(() => (window as unknown as { __expired: string[] }).__expired);
    await expect.poll(expired, { timeout: 40_000 }).toEqual(['token_refresh_failed']);
    // A tab left open: the network comes back, the tab is shown again. A request now would be a
    // refusal charged to the address or, within the server's 30 s clock-tolerance for the dead
    // token, a stream opened and ended at once, in a loop (as before the fix).
    for (let i = 0; i < 5; i++) {
      await tab.evaluate(() => {
        window.dispatchEvent(new Event('online'));
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(channel).toHaveLength(1);
    await agent(conversation, 'while signed out');
    await tab.evaluate(
      (token) =>
        (window as unknown as { Halo: { identify(u: string, t: object, o: object): Promise<void> } }).Halo.identify(
          'erin',
          {},
          { userToken: token },
        ),
      sign('erin', 600),
    );
    await expect.poll(() => got(tab).then((l) => l.map((m) => m.text))).toEqual(['before the end', 'while signed out']);
    expect(channel).toHaveLength(2);
    // seq 1 and 2 are erin's first exchange, 3 the message before the end.
    expect(channel[1]!.after).toEqual({ [conversation]: 3 });
    expect(problems.errors).toEqual([]);
    await context.close();
  }, 90_000);
});
