// The demo of `npm run demo` in Chromium, with tokens living 6 s so a refresh happens within
// the test: the token is fetched, refreshed, a rotated secret is recovered from by a 403
// retry, and impersonation is rejected in enforce and let through in off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot, watch, type Problems } from './browser.js';
// @ts-expect-error: plain-JS demo module, no types
import { startDemo } from '../../demo/server.mjs';

let browser: Browser;
let demo: { url: string; project: { mode: string }; close(): Promise<void> };
let page: Page;
let problems: Problems;

const TOKEN_TTL = 6;
const quiet = { info() {}, warn() {}, error: console.error };

beforeAll(async () => {
  // memory: a clean slate per run (the demo's own default is the embedded database).
  demo = await startDemo({ port: 0, tokenTtlSeconds: TOKEN_TTL, pollSeconds: 3600, logger: quiet, memory: true });
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  problems = await watch(page);
  await page.goto(demo.url);
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

const entries = () => page.locator('#log li').allTextContents();
const logged = (pattern: RegExp) => expect.poll(async () => (await entries()).some((e) => pattern.test(e)), { timeout: 15_000 }).toBe(true);
const bubbles = () => page.getByRole('log', { name: 'Messages' }).locator('.t').allTextContents();

async function chat(text: string): Promise<void> {
  const before = (await bubbles()).length;
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect.poll(async () => (await bubbles()).length, { timeout: 15_000 }).toBe(before + 2);
}

async function setMode(mode: string): Promise<void> {
  await page.getByLabel(mode, { exact: true }).check();
  await logged(new RegExp(`verification mode → ${mode}`));
  expect(demo.project.mode).toBe(mode);
}

describe('the demo', () => {
  it('fetches a token for Alice and verifies her first call', async () => {
    await logged(/Token fetched for alice/);
    await logged(/identify → 200 · verified/);
  });

  it('chats through the widget and refreshes the short-lived token before it expires', async () => {
    await page.getByRole('button', { name: 'Open support chat' }).click();
    await chat('Hello from Alice');
    expect((await bubbles()).at(-1)).toMatch(/Alice/);
    // Past half the token's life the token is no longer fresh: the next call refreshes it first.
    await page.waitForTimeout((TOKEN_TTL / 2) * 1000 + 500);
    await chat('Still there?');
    await logged(/Token refreshed for alice/);
    await screenshot(page, 'demo.png');
  });

  it('recovers from a rotated secret in enforce mode with one 403 and a retry', async () => {
    await setMode('enforce');
    await page.getByRole('button', { name: 'Rotate identity secret' }).click();
    await logged(/secret rotated/);
    await chat('After the rotation');
    await logged(/chat → 403 \(token_invalid\)/);
    expect((await bubbles()).at(-1)).toMatch(/Alice/);
  });

  it('rejects impersonation in enforce mode and lets it through in off mode', async () => {
    await setMode('enforce');
    await page.getByRole('button', { name: 'Impersonate the other user' }).click();
    await logged(/Impersonating bob with alice's token → 403 identity_verification_failed \(user_mismatch\): rejected/);
    await setMode('off');
    await page.getByRole('button', { name: 'Impersonate the other user' }).click();
    await logged(/Impersonating bob with alice's token → 200 .*LET THROUGH.*4242/);
  });

  it('switches user with identify() and shows that user’s own conversation', async () => {
    await setMode('enforce');
    await page.getByRole('button', { name: 'Switch user' }).click();
    await logged(/Token fetched for bob/);
    await expect.poll(bubbles, { timeout: 15_000 }).toEqual([expect.stringMatching(/4242/), expect.any(String)]);
  });

  it('keeps a message queued while the identity is expired and sends it once the user signs in again', async () => {
    await page.getByRole('button', { name: 'End backend session' }).click();
    await logged(/session ended/);
    // Bob's token is still valid but the rotation makes the API refuse it, and no new one comes.
    await page.getByRole('button', { name: 'Rotate identity secret' }).click();
    await logged(/secret rotated/);
    await page.getByRole('textbox', { name: 'Message' }).fill('Anyone there?');
    await page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await logged(/identityExpired: bob/);
    const log = page.getByRole('log', { name: 'Messages' });
    await expect.poll(() => log.locator('.me').allTextContents(), { timeout: 15_000 }).toContain('Queued: sends once you are reconnected');
    expect(await page.getByRole('status').textContent()).toMatch(/^Reconnecting…/);
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await expect
      .poll(async () => (await bubbles()).slice(-2), { timeout: 15_000 })
      .toEqual(['Anyone there?', expect.stringMatching(/Bob/)]);
    expect((await log.locator('.me').allTextContents()).filter(Boolean)).toEqual([]);
  });

  it('kept every token out of storage and cookies, and the page clean under its strict CSP', async () => {
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    expect(stored).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect(await page.context().cookies()).toEqual([]);
    expect(await problems.csp()).toEqual([]);
    expect(problems.errors).toEqual([]);
    // The only console errors: Chromium's own line for each 401/403 the demo provokes on purpose.
    expect(problems.console.filter((line) => !/status of (401|403)/.test(line))).toEqual([]);
  });
});
