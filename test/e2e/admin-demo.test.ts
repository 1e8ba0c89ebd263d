// The demo's story in Chromium: the demo page links to /admin, the operator token the demo
// prints opens it, the report of the demo's own traffic says enforce is safe, and a mode
// switched there is the demo's mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, watch, type Problems } from './browser.js';
// @ts-expect-error: plain-JS demo module, no types
import { startDemo } from '../../demo/server.mjs';

let browser: Browser;
let demo: { url: string; adminToken: string; project: { mode: string }; close(): Promise<void> };
let page: Page;
let problems: Problems;

beforeAll(async () => {
  demo = await startDemo({
    port: 0,
    pollSeconds: 3600,
    logger: { info() {}, warn() {}, error: console.error },
    adminToken: 'demo_operator_token_for_tests',
  });
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
  problems = await watch(page);
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

describe('the demo with the security settings page', () => {
  it('links to /admin, where the printed token opens the settings, the report says safe, and enforce applies to the demo', async () => {
    await page.goto(demo.url);
    const link = page.getByRole('link', { name: 'security settings page' });
    expect(await link.getAttribute('href')).toBe('/admin');
    // The demo's chat (seeded Bob, then Alice's identify) is verified traffic.
    await page.getByRole('button', { name: 'Open support chat' }).click();
    await expect.poll(() => page.getByRole('log', { name: 'Messages' }).isVisible()).toBe(true);

    await page.goto(`${demo.url}/admin`);
    await page.locator('#token').fill(demo.adminToken);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => page.locator('#verdict').textContent()).toBe('Safe to enforce: every identified user presented a valid token.');
    await page.locator('input[name="mode"][value="enforce"]').check();
    await page.getByRole('button', { name: 'Save mode' }).click();
    await expect.poll(() => page.locator('#effective-mode').textContent()).toBe('enforce');
    expect(demo.project.mode).toBe('enforce');
    expect(await problems.csp()).toEqual([]);
    expect(problems.errors).toEqual([]);
  });
});
