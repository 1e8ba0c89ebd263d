// The inbox in a real Chromium on a real server, on the embedded store (PGlite) and on
// PostgreSQL, with conversations made through the SDK's chat API: an agent signs in, sees alice
// (verified, name and plan from her token's claims) and an anonymous visitor; a monitor-mode
// message claiming to be alice without a token is marked unverified and leaves the verified
// panel alone; a reply reaches a second agent's browser live, and alice's open widget in under
// a second (the live channel); resolve and reopen; XSS payloads everywhere are shown as text;
// logout ends the session. docs/inbox.png: HALO_UPDATE_DOCS_SCREENSHOT=1.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePostgres } from '../helpers/postgres.js';
import {
  embedPage,
  launchBrowser,
  RESULTS,
  ROOT,
  serverModule,
  startHostServer,
  watch,
  WIDGET,
  type HostServer,
  type Problems,
} from './browser.js';

const PASSWORD = 'correct horse battery';
const XSS = {
  name: '<img src=x onerror="window.__xss=1">',
  email: '"><script>window.__xss=2</script>@x.io',
  plan: '<svg onload="window.__xss=3">',
  trait: '<iframe src="javascript:window.__xss=4">',
  text: '<img src=x onerror="window.__xss=5"><b>bold?</b>',
};

const pg = usePostgres();
let browser: Browser;
let host: HostServer;
beforeAll(async () => {
  browser = await launchBrowser();
  host = await startHostServer();
});
afterAll(async () => {
  await browser?.close();
  await host?.close();
});

describe.each(['embedded', 'postgres'] as const)('the inbox page on the %s store', (engine) => {
  let server: Awaited<ReturnType<typeof serverModule>>;
  let api: { url: string; close(): Promise<void> };
  let closeStore: () => Promise<void>;
  let secret: string;
  let alice: string;
  let visitor: string;
  let evil: string;

  /** `POST /api/sdk/chat` as a browser's SDK sends it; the conversation id. */
  async function chat(body: Record<string, unknown>): Promise<string> {
    const reply = await fetch(`${api.url}/api/sdk/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await reply.json()) as { conversation_id: string };
    if (reply.status !== 200) throw new Error(`chat: ${reply.status} ${JSON.stringify(answer)}`);
    return answer.conversation_id;
  }
  const token = (userId: string, claims: Record<string, unknown> = {}) => server.signUserToken({ user_id: userId, ...claims }, secret);
  const ALICE = { name: 'Alice Liddell', email: 'alice@corp.example', plan: 'pro', company_id: 'c_42' };

  async function signIn(email: string): Promise<{ page: Page; problems: Problems }> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 800 } });
    const page = await context.newPage();
    const problems = await watch(page);
    await page.goto(`${api.url}/inbox`);
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await page.click('#login-form button');
    await page.locator('#conversations li').first().waitFor();
    return { page, problems };
  }

  const row = (page: Page, id: string) => page.locator(`#conversations li[data-id="${id}"]`);

  beforeAll(async () => {
    server = await serverModule();
    secret = server.generateProjectKeys().identitySecret;
    let store: Awaited<ReturnType<typeof server.createEmbeddedStore>>;
    if (engine === 'embedded') {
      const dir = mkdtempSync(path.join(tmpdir(), 'halo-inbox-e2e-'));
      store = await server.createEmbeddedStore({ dataDir: dir });
      closeStore = async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      };
    } else {
      store = await server.createPostgresStore({ connectionString: await pg.cluster.createDatabase('inbox_e2e'), max: 4 });
      closeStore = () => store.close();
    }
    const agents = server.createMemoryAgentStore();
    await server.createAgent(agents, {
      email: 'ann@x.io',
      name: 'Ann Agent',
      role: 'agent',
      projects: ['ab_test_inboxa'],
      password: PASSWORD,
    });
    await server.createAgent(agents, { email: 'bob@x.io', name: 'Bob Agent', role: 'admin', password: PASSWORD });
    api = await server.startHaloServer({
      // Monitor mode: a request without a token is stored, marked unverified.
      projects: [
        { widgetKey: 'ab_test_inboxa', identitySecrets: [secret], mode: 'monitor' },
        { widgetKey: 'ab_test_inboxb', identitySecrets: [secret], mode: 'monitor' },
      ],
      port: 0,
      host: '127.0.0.1',
      store,
      rateLimit: false,
      logger: { info() {}, warn() {}, error: console.error },
      // No HALO_ADMIN_TOKEN: /admin opens for an admin account's session only.
      admin: {},
      agents: { store: agents },
    });
    alice = await chat({
      widget_key: 'ab_test_inboxa',
      user_id: 'alice',
      user_token: await token('alice', ALICE),
      user_traits: { theme: 'dark' },
      message: 'My invoice is wrong',
    });
    visitor = await chat({ widget_key: 'ab_test_inboxa', visitor_id: 'v_123', message: 'Hello? Anyone there?' });
    evil = await chat({
      widget_key: 'ab_test_inboxa',
      user_id: 'evil',
      user_token: await token('evil', { name: XSS.name, email: XSS.email, plan: XSS.plan }),
      user_traits: { nickname: XSS.trait },
      message: XSS.text,
    });
    await chat({
      widget_key: 'ab_test_inboxb',
      user_id: 'other',
      user_token: await token('other', { name: 'Other Project User' }),
      message: 'project B only',
    });
  });

  afterAll(async () => {
    await api?.close();
    await closeStore?.();
  });

  describe('the inbox page', () => {
    it('shows alice verified from her claims, the visitor as anonymous, and only the agent’s project', async () => {
      const { page, problems } = await signIn('ann@x.io');
      await expect.poll(() => row(page, alice).locator('.who').textContent()).toBe('Alice Liddell <alice@corp.example>');
      expect(await row(page, alice).locator('.badge.verified').textContent()).toBe('verified');
      expect(await row(page, visitor).locator('.who').textContent()).toBe('Anonymous visitor');
      expect(await page.locator('#conversations').textContent()).not.toContain('Other Project User');
      expect(await page.locator('#conversations li').count()).toBe(3);
      expect([...problems.console, ...problems.errors, ...(await problems.csp())]).toEqual([]);
      await page.context().close();
    });

    it('marks a monitor-mode message claiming to be alice as unverified and keeps her verified panel', async () => {
      // No token: in monitor mode it is stored, marked, and may not touch the verified claims.
      await chat({
        widget_key: 'ab_test_inboxa',
        user_id: 'alice',
        conversation_id: alice,
        user_traits: { name: 'Mallory' },
        message: 'Change my email please',
      });
      const { page } = await signIn('ann@x.io');
      await row(page, alice).click();
      const claimed = page.locator('#messages li.user', { hasText: 'Change my email please' });
      await expect.poll(() => claimed.getAttribute('class')).toContain('unverified');
      expect(await claimed.locator('.warning').textContent()).toBe('not verified — could be anyone claiming this user id');
      expect(await claimed.locator('.author').textContent()).toBe('someone claiming user alice');
      expect(await page.locator('#messages li', { hasText: 'My invoice is wrong' }).locator('.warning').count()).toBe(0);
      const claims = await page.locator('#claims').textContent();
      expect(claims).toContain('Alice Liddell');
      expect(claims).toContain('pro');
      expect(claims).not.toContain('Mallory');
      expect(await page.locator('#traits').textContent()).toContain('Mallory');
      await page.context().close();
    });

    it("shows an agent's reply in alice's open widget in under a second", async () => {
      const snippet = readFileSync(path.join(WIDGET, 'dist/snippet.js'), 'utf8');
      const init = { widgetKey: 'ab_test_inboxa', apiBase: api.url, userId: 'alice', userToken: await token('alice', ALICE) };
      host.routes.set('/', { body: embedPage({ snippet, haloSrc: `${api.url}/halo.js`, init: `Halo.init(${JSON.stringify(init)})` }) });
      const context = await browser.newContext();
      const tab = await context.newPage();
      const problems = await watch(tab);
      await tab.goto(host.url);
      await tab.getByRole('button', { name: /Open support chat/ }).click();
      const ann = await signIn('ann@x.io');
      await row(ann.page, alice).click();
      await ann.page.locator('#messages li').first().waitFor();
      // The widget's channel is open by now (it subscribes at mount); the clock starts at Send.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const text = `Reply for the widget (${engine})`;
      await ann.page.fill('#reply', text);
      const sent = Date.now();
      await ann.page.click('#send');
      await tab.getByText(text).waitFor({ timeout: 5000 });
      const ms = Date.now() - sent;
      console.info(`[inbox e2e, ${engine}] the agent's reply appeared in alice's open widget ${ms} ms after Send`);
      expect(ms).toBeLessThan(1000);
      expect([...problems.console, ...problems.errors]).toEqual([]);
      await ann.page.context().close();
      await context.close();
    });

    it('sends a reply that a second agent’s open inbox shows live, then resolves and reopens', async () => {
      const ann = await signIn('ann@x.io');
      const bob = await signIn('bob@x.io');
      await row(ann.page, alice).click();
      await row(bob.page, alice).click();
      await bob.page.locator('#messages li').first().waitFor();
      await ann.page.fill('#reply', 'We are fixing your invoice.');
      const sent = Date.now();
      await ann.page.click('#send');
      await bob.page.locator('#messages li.agent', { hasText: 'We are fixing your invoice.' }).waitFor({ timeout: 10_000 });
      const liveMs = Date.now() - sent;
      expect(await bob.page.locator('#messages li.agent .author').last().textContent()).toBe('Ann Agent');
      expect(await ann.page.locator('#messages li.agent', { hasText: 'We are fixing your invoice.' }).count()).toBe(1);
      console.info(`[inbox e2e, ${engine}] reply visible in the second agent's browser after ${liveMs} ms`);

      await ann.page.click('#toggle-status');
      await expect.poll(() => ann.page.locator('#toggle-status').textContent()).toBe('Reopen');
      // The open-only list drops it, live, in the other browser too.
      await expect.poll(() => row(bob.page, alice).count()).toBe(0);
      await ann.page.click('#toggle-status');
      await expect.poll(() => ann.page.locator('#toggle-status').textContent()).toBe('Resolve');
      await expect.poll(() => row(bob.page, alice).count()).toBe(1);

      await ann.page.click('#assign');
      await expect.poll(() => ann.page.locator('#view-meta').textContent()).toContain('assigned to me');
      await row(ann.page, alice).click();
      await ann.page.screenshot({ path: path.join(RESULTS, 'inbox.png') });
      if (process.env.HALO_UPDATE_DOCS_SCREENSHOT) await ann.page.screenshot({ path: path.join(ROOT, 'docs/inbox.png') });
      await ann.page.context().close();
      await bob.page.context().close();
    });

    it('shows XSS payloads in messages, names, claims and traits as text, and runs none of them', async () => {
      const { page, problems } = await signIn('ann@x.io');
      await row(page, evil).click();
      await page.locator('#messages li').first().waitFor();
      expect(await row(page, evil).locator('.who').textContent()).toBe(`${XSS.name} <${XSS.email}>`);
      // The list previews the last message (the AI's reply, which greets the user by name).
      expect(await row(page, evil).locator('.preview').textContent()).toBe(await page.locator('#messages .text').last().textContent());
      expect(await page.locator('#view-title').textContent()).toBe(`${XSS.name} <${XSS.email}>`);
      expect(await page.locator('#messages .text').first().textContent()).toBe(XSS.text);
      const panel = await page.locator('#panel-pane').textContent();
      for (const payload of [XSS.name, XSS.email, XSS.plan, XSS.trait]) expect(panel).toContain(payload);
      expect(await page.locator('main img, main script, main svg, main iframe, main b').count()).toBe(0);
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      expect([...problems.errors, ...(await problems.csp())]).toEqual([]);
      await page.context().close();
    });

    it('opens /admin for an admin account’s session, not for an agent’s', async () => {
      const bob = await signIn('bob@x.io');
      await bob.page.goto(`${api.url}/admin`);
      await expect.poll(() => bob.page.locator('#app').isVisible()).toBe(true);
      expect(await bob.page.locator('#status').textContent()).toBe('Signed in as agent bob@x.io.');
      expect([...bob.problems.console, ...bob.problems.errors, ...(await bob.problems.csp())]).toEqual([]);
      await bob.page.context().close();
      const ann = await signIn('ann@x.io');
      await ann.page.goto(`${api.url}/admin`);
      await ann.page.locator('#login').waitFor();
      expect(await ann.page.locator('#app').isVisible()).toBe(false);
      await ann.page.context().close();
    });

    it('lets an admin add a team account in the page, which can then sign in', async () => {
      const { page, problems } = await signIn('bob@x.io');
      await page.fill('#a-email', 'cat@x.io');
      await page.fill('#a-name', '<b>Cat</b>');
      await page.fill('#a-projects', 'ab_test_inboxb');
      await page.fill('#a-password', PASSWORD);
      await page.click('#agent-form button');
      await expect.poll(() => page.locator('#agents').textContent()).toContain('<b>Cat</b> <cat@x.io> · agent · ab_test_inboxb');
      expect([...problems.console, ...problems.errors]).toEqual([]);
      await page.context().close();
      const cat = await signIn('cat@x.io').catch(() => null);
      // Cat's project (ab_test_inboxb) has one conversation: the sign-in waited for it to be listed.
      expect(await cat?.page.locator('#conversations .who').textContent()).toBe('Other Project User');
      await cat?.page.context().close();
    });

    it('does not accept the session cookie after logout', async () => {
      const { page } = await signIn('ann@x.io');
      const [cookie] = await page.context().cookies();
      expect(cookie).toMatchObject({ name: 'halo_agent_session', httpOnly: true, sameSite: 'Strict' });
      await page.click('#logout');
      await page.locator('#login-form').waitFor();
      const replay = await fetch(`${api.url}/api/agent/conversations`, { headers: { Cookie: `${cookie!.name}=${cookie!.value}` } });
      expect(replay.status).toBe(401);
      await page.context().close();
    });
  });
});
