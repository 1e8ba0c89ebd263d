// The inbox in a real Chromium on a real server: an agent signs in, sees alice (verified, name
// and plan from her token's claims) and an anonymous visitor; a monitor-mode message claiming
// to be alice is marked unverified and leaves the verified panel alone; a reply reaches a
// second agent's browser live; resolve and reopen; XSS payloads everywhere are shown as text;
// logout ends the session. The inbox store is the contract's in-memory double until the store
// branch lands (then: drop `inboxStore` and start the server on the embedded store / PostgreSQL).
// docs/inbox.png: HALO_UPDATE_DOCS_SCREENSHOT=1.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInboxDouble, type InboxDouble } from '../helpers/inbox-double.js';
import { launchBrowser, RESULTS, ROOT, serverModule, watch, type Problems } from './browser.js';

const PASSWORD = 'correct horse battery';
const XSS = {
  name: '<img src=x onerror="window.__xss=1">',
  email: '"><script>window.__xss=2</script>@x.io',
  plan: '<svg onload="window.__xss=3">',
  trait: '<iframe src="javascript:window.__xss=4">',
  text: '<img src=x onerror="window.__xss=5"><b>bold?</b>',
};

let api: { url: string; close(): Promise<void> };
let browser: Browser;
let inbox: InboxDouble;
let alice: string;
let visitor: string;
let evil: string;

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
  const server = await serverModule();
  inbox = createInboxDouble();
  const agents = server.createMemoryAgentStore();
  await server.createAgent(agents, { email: 'ann@x.io', name: 'Ann Agent', role: 'agent', projects: ['wk_a'], password: PASSWORD });
  await server.createAgent(agents, { email: 'bob@x.io', name: 'Bob Agent', role: 'admin', password: PASSWORD });
  api = await server.startHaloServer({
    projects: [{ widgetKey: 'wk_a' }, { widgetKey: 'wk_b' }],
    port: 0,
    host: '127.0.0.1',
    logger: { info() {}, warn() {}, error: console.error },
    // No HALO_ADMIN_TOKEN: /admin opens for an admin account's session only.
    admin: {},
    agents: { store: agents, inboxStore: inbox },
  });
  alice = await inbox.seed({
    project: 'wk_a',
    owner: 'user:alice',
    text: 'My invoice is wrong',
    claims: { sub: 'alice', name: 'Alice Liddell', email: 'alice@corp.example', plan: 'pro', company_id: 'c_42' },
    traits: { theme: 'dark' },
  });
  visitor = await inbox.seed({ project: 'wk_a', owner: 'visitor:v_123', text: 'Hello? Anyone there?' });
  evil = await inbox.seed({
    project: 'wk_a',
    owner: 'user:evil',
    text: XSS.text,
    claims: { name: XSS.name, email: XSS.email, plan: XSS.plan },
    traits: { nickname: XSS.trait },
  });
  await inbox.seed({ project: 'wk_b', owner: 'user:other', text: 'project B only', claims: { name: 'Other Project User' } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
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
    await inbox.seed({
      project: 'wk_a',
      owner: 'user:alice',
      conversationId: alice,
      text: 'Change my email please',
      unverified: true,
      traits: { name: 'Mallory' },
    });
    const { page } = await signIn('ann@x.io');
    await row(page, alice).click();
    const claimed = page.locator('#messages li', { hasText: 'Change my email please' });
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
    expect(await ann.page.locator('#messages li.agent').count()).toBe(1);
    console.info(`[inbox e2e] reply visible in the second agent's browser after ${liveMs} ms`);

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
    expect(await row(page, evil).locator('.preview').textContent()).toBe(XSS.text);
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
    await page.fill('#a-projects', 'wk_b');
    await page.fill('#a-password', PASSWORD);
    await page.click('#agent-form button');
    await expect.poll(() => page.locator('#agents').textContent()).toContain('<b>Cat</b> <cat@x.io> · agent · wk_b');
    expect([...problems.console, ...problems.errors]).toEqual([]);
    await page.context().close();
    const cat = await signIn('cat@x.io').catch(() => null);
    // Cat's project (wk_b) has one conversation: the sign-in waited for it to be listed.
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
