// The widget in a real Chromium: the launcher and panel by role and name, the mouse and the
// keyboard-only flows, and what the page must never see (tokens in storage, console errors).
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { screenshot, useEmbedSuite, watch, type Problems } from './browser.js';

const suite = useEmbedSuite({ enforce: true });
let page: Page;
let problems: Problems;

async function openPage(init: string, colorScheme: 'light' | 'dark' = 'light'): Promise<void> {
  suite.host.routes.set('/', { body: suite.embed({ init }) });
  page = await suite.newPage({ viewport: { width: 1100, height: 760 }, colorScheme });
  problems = await watch(page);
  await page.goto(suite.host.url);
}

let users = 0;

/** Signs in a new Alice (a fresh user per test, so no test sees another's conversation). */
async function aliceInit(): Promise<string> {
  const userId = `alice-${++users}`;
  const token = await suite.server.signUserToken({ user_id: userId, name: 'Alice Martin', plan: 'pro' }, suite.secret, {
    expiresIn: '10m',
  });
  const init = `Halo.init(${JSON.stringify({ widgetKey: suite.widgetKey, userId, userToken: token, userTraits: { name: 'Alice Martin', email: 'alice@acme.test' } })})`;
  await openPage(init);
  return token;
}

const launcher = () => page.getByRole('button', { name: 'Open support chat' });
const dialog = () => page.getByRole('dialog', { name: 'Support chat' });
const log = () => page.getByRole('log', { name: 'Messages' });
const textbox = () => page.getByRole('textbox', { name: 'Message' });

describe('the widget in Chromium', () => {
  it('opens from the launcher, sends on Enter and shows the reply in the log', async () => {
    await aliceInit();
    await expect.poll(() => launcher().isVisible()).toBe(true);
    expect(await launcher().getAttribute('aria-expanded')).toBe('false');
    await launcher().click();
    expect(await dialog().isVisible()).toBe(true);
    expect(await launcher().getAttribute('aria-expanded')).toBe('true');
    expect(await log().getAttribute('aria-live')).toBe('polite');
    await textbox().fill('Where is my invoice?');
    await textbox().press('Enter');
    expect(await textbox().inputValue()).toBe('');
    await expect.poll(() => log().locator('.m').count()).toBe(2);
    const texts = await log().locator('.t').allTextContents();
    expect(texts[0]).toBe('Where is my invoice?');
    expect(texts[1]).toMatch(/Alice/);
    await screenshot(page, 'widget-open-light.png');
    expect(problems.console).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('closes on Escape and returns focus to the launcher', async () => {
    await aliceInit();
    await launcher().click();
    await expect.poll(() => textbox().evaluate((el) => el.matches(':focus'))).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog().isVisible()).toBe(false);
    expect(await launcher().evaluate((el) => el.matches(':focus'))).toBe(true);
    expect(await launcher().getAttribute('aria-expanded')).toBe('false');
  });

  it('works with the keyboard alone: Tab to the launcher, Enter, type, Shift+Enter, Enter, Tab to Send, Escape', async () => {
    await aliceInit();
    await expect.poll(() => launcher().isVisible()).toBe(true);
    // The host page's own button comes first in the Tab order; the launcher follows it.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await launcher().evaluate((el) => el.matches(':focus'))).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => textbox().evaluate((el) => el.matches(':focus'))).toBe(true);
    await page.keyboard.type('first line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    expect(await textbox().inputValue()).toBe('first line\nsecond line');
    await page.keyboard.press('Enter');
    await expect.poll(() => log().locator('.m').count()).toBe(2);
    expect((await log().locator('.t').allTextContents())[0]).toBe('first line\nsecond line');
    await page.keyboard.type('via the button');
    await page.keyboard.press('Tab');
    expect(await page.getByRole('button', { name: 'Send' }).evaluate((el) => el.matches(':focus'))).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => log().locator('.m').count()).toBe(4);
    await page.keyboard.press('Escape');
    expect(await launcher().evaluate((el) => el.matches(':focus'))).toBe(true);
    expect(problems.console).toEqual([]);
  });

  it('keeps the token out of localStorage, sessionStorage and cookies', async () => {
    const token = await aliceInit();
    await launcher().click();
    await textbox().fill('hello');
    await textbox().press('Enter');
    await expect.poll(() => log().locator('.m').count()).toBe(2);
    const stored = await page.evaluate(() => ({
      local: Object.keys(localStorage).map((k) => `${k}=${localStorage.getItem(k)}`),
      session: Object.keys(sessionStorage).map((k) => `${k}=${sessionStorage.getItem(k)}`),
      cookie: document.cookie,
    }));
    const everything = JSON.stringify(stored);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.split('.')[2]);
    expect(everything).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect(await page.context().cookies()).toEqual([]);
  });

  it('restores the conversation from history after a reload', async () => {
    await aliceInit();
    await launcher().click();
    await textbox().fill('remember me');
    await textbox().press('Enter');
    await expect.poll(() => log().locator('.m').count()).toBe(2);
    await page.reload();
    await launcher().click();
    await expect.poll(() => log().locator('.t').allTextContents()).toContain('remember me');
  });

  it('follows the dark colour scheme', async () => {
    await aliceInit();
    page = await suite.newPage({ viewport: { width: 1100, height: 760 }, colorScheme: 'dark' });
    await page.goto(suite.host.url);
    await launcher().click();
    const background = await dialog().evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe('rgb(31, 41, 55)');
    await screenshot(page, 'widget-open-dark.png');
  });
});
