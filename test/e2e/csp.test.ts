// Strict CSP (docs/protocol.md): under the strict CSP (no unsafe-inline, no unsafe-eval) the widget renders styled,
// chats, and the page records no violation.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { screenshot, useEmbedSuite, watch, type Problems } from './browser.js';

const suite = useEmbedSuite();
let page: Page;
let problems: Problems;

/** The strict CSP of docs/protocol.md, word for word, with this test's nonce and API origin. */
function strictCsp(nonce: string): string {
  return (
    `default-src 'none'; script-src 'nonce-${nonce}' ${suite.api.url}; connect-src ${suite.api.url}; style-src 'self'; ` +
    `img-src 'self' data:; object-src 'none'; base-uri 'none'`
  );
}

async function openStrictPage(init: string, body = ''): Promise<void> {
  const nonce = randomBytes(16).toString('base64');
  suite.host.routes.set('/', {
    body: suite.embed({ init, nonce, body }),
    headers: { 'Content-Security-Policy': strictCsp(nonce) },
  });
  page = await suite.newPage({ viewport: { width: 1000, height: 720 } });
  problems = await watch(page);
  await page.goto(suite.host.url);
}

const launcher = () => page.getByRole('button', { name: 'Open support chat' });
const dialog = () => page.getByRole('dialog', { name: 'Support chat' });

describe('the widget under a strict CSP', () => {
  it('renders styled, chats, and causes no CSP violation and no console error', async () => {
    await openStrictPage(`Halo.init({ widgetKey: '${suite.widgetKey}', userTraits: { name: 'Visitor' } })`);
    await launcher().click();
    const launcherStyle = await launcher().evaluate((el) => {
      const s = getComputedStyle(el);
      return { position: s.position, background: s.backgroundColor, radius: s.borderRadius, right: s.right };
    });
    expect(launcherStyle).toEqual({ position: 'fixed', background: 'rgb(79, 70, 229)', radius: '50%', right: '20px' });
    const panel = await dialog().evaluate((el) => {
      const s = getComputedStyle(el);
      return { position: s.position, background: s.backgroundColor, radius: s.borderRadius };
    });
    expect(panel).toEqual({ position: 'fixed', background: 'rgb(255, 255, 255)', radius: '16px' });
    await page.getByRole('textbox', { name: 'Message' }).fill('Does this work under a strict CSP?');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByRole('log', { name: 'Messages' }).locator('.m').count()).toBe(2);
    await screenshot(page, 'widget-open-strict-csp.png');
    expect(await problems.csp()).toEqual([]);
    expect(problems.console).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('applies the theme accent and the left position', async () => {
    await openStrictPage(`Halo.init({ widgetKey: '${suite.widgetKey}', theme: { accent: '#0f766e', position: 'left' } })`);
    await launcher().click();
    const style = await launcher().evaluate((el) => ({
      background: getComputedStyle(el).backgroundColor,
      left: getComputedStyle(el).left,
    }));
    expect(style).toEqual({ background: 'rgb(15, 118, 110)', left: '20px' });
    expect(await dialog().evaluate((el) => getComputedStyle(el).left)).toBe('20px');
    await screenshot(page, 'widget-open-theme-left.png');
    expect(await problems.csp()).toEqual([]);
  });

  it('leaves the host page’s styles alone and ignores them inside the widget', async () => {
    const nonce = randomBytes(16).toString('base64');
    suite.host.routes.set('/page.css', {
      body: 'button { background: rgb(255, 0, 0) !important; font-size: 40px; } p { color: rgb(0, 128, 0); }',
      type: 'text/css',
    });
    suite.host.routes.set('/', {
      body: suite.embed({
        init: `Halo.init({ widgetKey: '${suite.widgetKey}' })`,
        nonce,
        extraHead: '<link rel="stylesheet" href="/page.css">',
      }),
      headers: { 'Content-Security-Policy': strictCsp(nonce) },
    });
    page = await suite.newPage();
    problems = await watch(page);
    await page.goto(suite.host.url);
    await launcher().click();
    expect(await launcher().evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(79, 70, 229)');
    expect(await page.locator('#app-button').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 0, 0)');
    expect(await page.locator('main p').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(0, 128, 0)');
    expect(await problems.csp()).toEqual([]);
  });

  it('would see a violation: an inline style attribute on the same page is reported', async () => {
    await openStrictPage(`Halo.init({ widgetKey: '${suite.widgetKey}' })`, '<p style="color: red">inline</p>');
    await expect.poll(() => problems.csp()).toEqual([expect.stringMatching(/^style-src/)]);
  });
});
