// The /admin page's "AI replies" section in a real Chromium (issue 25): the operator sets a
// project's model with the key's variable NAME, the page says whether the variable is set on
// the server, the next chat is answered by the (fake) model, and Clear brings back respond().
// The key's value never reaches the page; everything runs under the page's strict CSP.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, serverModule, watch, type Problems } from './browser.js';
import { startFakeModelServer, type FakeModelServer } from '../../packages/halo-widget-server/test/ai/fake-model-server.js';

const TOKEN = 'op_e2e_ai_token_0123456789abcdef';
const KEY_ENV = 'HALO_E2E_ADMIN_AI_KEY';
const API_KEY = 'sk-e2e-admin-ai-key-5b6c7d8e9f';
let api: { url: string; close(): Promise<void> };
let model: FakeModelServer;
let browser: Browser;
let page: Page;
let problems: Problems;
let widgetKey: string;

const chat = async (message: string) => {
  const response = await fetch(`${api.url}/api/sdk/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ widget_key: widgetKey, visitor_id: 'v-e2e', message }),
  });
  return (await response.json()) as { conversation_id: string; message: { author: string; text: string } };
};

beforeAll(async () => {
  const server = await serverModule();
  widgetKey = server.generateProjectKeys().widgetKey;
  model = await startFakeModelServer();
  model.setDefault({ kind: 'reply', text: 'Hello from the fake model.' });
  process.env[KEY_ENV] = API_KEY;
  api = await server.startHaloServer({
    projects: [{ widgetKey }],
    port: 0,
    host: '127.0.0.1',
    logger: { info() {}, warn() {}, error: console.error },
    admin: { token: TOKEN },
  });
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
  problems = await watch(page);
});

afterAll(async () => {
  delete process.env[KEY_ENV];
  await browser?.close();
  await api?.close();
  await model?.close();
});

describe('the AI replies section of /admin', () => {
  it('sets the model by the key variable’s name, shows the variable is set, and Clear brings back respond()', async () => {
    await page.goto(`${api.url}/admin`);
    await page.locator('#token').fill(TOKEN);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => page.locator('#app').isVisible()).toBe(true);
    await expect.poll(() => page.locator('#ai-state').textContent()).toContain('Off');

    await page.locator('#ai-base-url').fill(model.url);
    await page.locator('#ai-model').fill('fake-model');
    await page.locator('#ai-key-env').fill(KEY_ENV);
    await page.locator('#ai-instructions').fill('You help with Acme billing.');
    await page.locator('#save-ai').click();
    await expect.poll(() => page.locator('#ai-state').textContent()).toBe(`On: fake-model answers. ${KEY_ENV} is set on the server.`);
    expect(await page.content()).not.toContain(API_KEY);

    const byModel = await chat('hi');
    expect(byModel.message.author).toBe('user');
    await expect.poll(() => model.completions().length, { timeout: 15_000 }).toBe(1);

    await page.locator('#clear-ai').click();
    await expect.poll(() => page.locator('#ai-state').textContent()).toContain('Off');
    expect(await page.locator('#ai-model').inputValue()).toBe('');
    const after = await chat('again');
    expect(after.message.author).toBe('assistant');
    expect(model.completions()).toHaveLength(1);
  });

  it('shows a key in place of the variable name refused, without quoting it, and nothing is set', async () => {
    await page.locator('#ai-base-url').fill(model.url);
    await page.locator('#ai-model').fill('fake-model');
    await page.locator('#ai-key-env').fill('sk_live_4f9a8b7c6d5e4f3a2b1c');
    await page.locator('#ai-instructions').fill('Be brief.');
    await page.locator('#save-ai').click();
    await expect.poll(() => page.locator('#status').textContent()).toContain('looks like a key');
    expect(await page.locator('#status').textContent()).not.toContain('sk_live_');
    await expect.poll(() => page.locator('#ai-state').textContent()).toContain('Off');
  });

  it('runs under the strict CSP without a violation, console error or page error', async () => {
    expect(await problems.csp()).toEqual([]);
    // The refused save above is a 400 the browser reports on the console; nothing else is expected.
    expect(problems.console.filter((line) => !line.includes('400'))).toEqual([]);
    expect(problems.errors).toEqual([]);
  });
});
