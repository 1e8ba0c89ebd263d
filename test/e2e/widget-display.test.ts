// The panel's display in a real Chromium, in enforce mode: the log keeps its end (a queued
// message and its label) in view while the "Reconnecting…" banner is shown, the header from
// the theme options, and message times — under the strict CSP, with no violation.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { screenshot, useEmbedSuite, watch, type Problems } from './browser.js';

const suite = useEmbedSuite({ enforce: true });
let page: Page;
let problems: Problems;
let users = 0;

/** The strict CSP of the "Strict CSP" section of docs/protocol.md, with this page's nonce. */
function strictCsp(nonce: string): string {
  return (
    `default-src 'none'; script-src 'nonce-${nonce}' ${suite.api.url}; connect-src ${suite.api.url}; style-src 'self'; ` +
    `img-src 'self' data:; object-src 'none'; base-uri 'none'`
  );
}

async function openPage(init: string): Promise<void> {
  const nonce = randomBytes(16).toString('base64');
  suite.host.routes.set('/', { body: suite.embed({ init, nonce }), headers: { 'Content-Security-Policy': strictCsp(nonce) } });
  page = await suite.newPage({ viewport: { width: 1100, height: 640 } });
  problems = await watch(page);
  await page.goto(suite.host.url);
}

const launcher = () => page.getByRole('button', { name: 'Open support chat' });
const log = () => page.getByRole('log', { name: 'Messages' });
const textbox = () => page.getByRole('textbox', { name: 'Message' });
// Hidden while empty, and a hidden element has no role: found with includeHidden.
const status = () => page.getByRole('status', { includeHidden: true });

/** How far (px) the bottom of the log's last message, label included, is below the log's visible end. */
const hiddenBelow = () =>
  log().evaluate((el) => Math.round(el.lastElementChild!.getBoundingClientRect().bottom - el.getBoundingClientRect().bottom));

describe('the panel display in Chromium', () => {
  it('keeps the queued message and its label in view when the identity expires mid-conversation, then follows the replies', async () => {
    const userId = `queue-${++users}`;
    const secret = suite.project.identitySecrets!.at(-1)!;
    const valid = () => suite.server.signUserToken({ user_id: userId }, secret, { expiresIn: '10m' });
    // Signed with a secret the project does not have: refused in enforce mode and, with no
    // getUserToken to refresh it, the identity expires and messages queue (nothing-lost).
    const forged = await suite.server.signUserToken({ user_id: userId }, suite.server.generateProjectKeys().identitySecret, {
      expiresIn: '10m',
    });
    const traits = { name: 'Quinn Q', email: 'quinn@acme.test' };
    const [first, later] = [await valid(), await valid()];
    await openPage(
      `Halo.init(${JSON.stringify({ widgetKey: suite.widgetKey, userId, userToken: first, userTraits: traits })});` +
        `window.token = (t) => Halo.identify(${JSON.stringify(userId)}, ${JSON.stringify(traits)}, { userToken: t });`,
    );
    await launcher().click();
    for (let i = 1; i <= 8; i++) {
      await textbox().fill(`question ${i}`);
      await textbox().press('Enter');
      await expect.poll(() => log().locator('.m').count()).toBe(2 * i);
    }
    expect(await hiddenBelow()).toBeLessThanOrEqual(1);
    // Refused: the identity expires and the banner takes its height from the log.
    await page.evaluate((t) => void (window as unknown as { token(t: string): Promise<void> }).token(t).catch(() => {}), forged);
    await expect.poll(() => status().textContent()).toMatch(/^Reconnecting…/);
    expect(await hiddenBelow()).toBeLessThanOrEqual(1);
    for (let i = 1; i <= 3; i++) {
      await textbox().fill(`queued question ${i}`);
      await textbox().press('Enter');
      await expect.poll(() => log().locator('.m').last().locator('.me').textContent()).toBe('Queued: sends once you are reconnected');
      await expect.poll(() => status().textContent()).toMatch(/^Reconnecting…/);
      expect(await hiddenBelow()).toBeLessThanOrEqual(1);
    }
    await screenshot(page, 'widget-queued-in-view.png');
    await page.evaluate((t) => (window as unknown as { token(t: string): Promise<void> }).token(t), later);
    await expect.poll(() => log().locator('.m').count(), { timeout: 20_000 }).toBe(22);
    await expect.poll(() => status().textContent()).toBe('');
    expect(await hiddenBelow()).toBeLessThanOrEqual(1);
    expect(await problems.csp()).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('shows the header options and each message’s time on hover, under the strict CSP without a violation', async () => {
    const userId = `header-${++users}`;
    const token = await suite.server.signUserToken({ user_id: userId }, suite.project.identitySecrets!.at(-1)!, { expiresIn: '10m' });
    // A 1×1 PNG: `img-src 'self' data:` allows it.
    const avatarUrl =
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const options = { widgetKey: suite.widgetKey, userId, userToken: token, userTraits: { name: 'Hana', email: 'hana@acme.test' } };
    await openPage(
      `Halo.init(${JSON.stringify({ ...options, theme: { title: 'Acme help desk', subtitle: 'Real people, fast answers', avatarUrl } })})`,
    );
    await launcher().click();
    const dialog = page.getByRole('dialog', { name: 'Support chat' });
    expect(await dialog.getByRole('heading', { name: 'Acme help desk' }).isVisible()).toBe(true);
    expect(await dialog.getByText('Real people, fast answers').isVisible()).toBe(true);
    const avatar = dialog.locator('.hd img');
    await expect.poll(() => avatar.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    expect(await avatar.evaluate((img) => getComputedStyle(img).borderRadius)).toBe('50%');
    await textbox().fill('What time is it?');
    await textbox().press('Enter');
    await expect.poll(() => log().locator('.m').count()).toBe(2);
    const time = log().locator('.m').last().locator('time');
    expect(Date.parse((await time.getAttribute('datetime'))!)).toBeGreaterThan(Date.now() - 60_000);
    expect(await time.getAttribute('title')).toBeTruthy();
    expect(await time.evaluate((el) => getComputedStyle(el).opacity)).toBe('0');
    await log().locator('.m').last().hover();
    await expect.poll(() => time.evaluate((el) => getComputedStyle(el).opacity)).toBe('1');
    await screenshot(page, 'widget-header-options.png');
    expect(await problems.csp()).toEqual([]);
    expect(problems.console).toEqual([]);
    expect(problems.errors).toEqual([]);
  });
});
