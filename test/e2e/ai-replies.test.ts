// Issue 25 in a real Chromium: a real server with `ai` configured answers through a fake
// OpenAI-compatible model server. The widget shows the reply growing (≥ 2 partial updates),
// then the one final reply, and the history holds it once; a model answering 500 gives the
// user the fallback, and the conversation waits for a person.
import jwt from 'jsonwebtoken';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedPage, launchBrowser, serverModule, startHostServer, watch, WIDGET, type HostServer } from './browser.js';
import { startFakeModelServer, type FakeModelServer } from '../../packages/halo-widget-server/test/ai/fake-model-server.js';

let server: Awaited<ReturnType<typeof serverModule>>;
let api: { url: string; close(): Promise<void> };
let host: HostServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let model: FakeModelServer;
let store: ReturnType<Awaited<ReturnType<typeof serverModule>>['createMemoryStore']>;
let widgetKey: string;
let secret: string;
let snippet: string;

beforeAll(async () => {
  server = await serverModule();
  snippet = readFileSync(path.join(WIDGET, 'dist/snippet.js'), 'utf8');
  ({ widgetKey, identitySecret: secret } = server.generateProjectKeys());
  model = await startFakeModelServer();
  process.env.HALO_AI_API_KEY = 'sk-e2e-ai-replies';
  store = server.createMemoryStore();
  api = await server.startHaloServer({
    projects: [{ widgetKey, identitySecrets: [secret], mode: 'enforce' }],
    store,
    logger: { info() {}, warn() {}, error: console.error },
    rateLimit: false,
    ai: { baseUrl: model.url, model: 'fake', apiKeyEnv: 'HALO_AI_API_KEY', instructions: 'Help with billing.', timeoutMs: 3000 },
  });
  host = await startHostServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await host?.close();
  await api?.close();
  await model?.close();
  delete process.env.HALO_AI_API_KEY;
});

const sign = (userId: string) => {
  const iat = Math.floor(Date.now() / 1000);
  return jwt.sign({ user_id: userId, plan: 'enterprise', iat, exp: iat + 600 }, secret);
};

/** A page recording every distinct text the growing bubble showed, and every `message` event. */
function page(userId: string): string {
  return embedPage({
    snippet,
    haloSrc: `${api.url}/halo.js`,
    init: `Halo.init(${JSON.stringify({ widgetKey, apiBase: api.url, userId, userToken: sign(userId) })});
      window.__partial = []; window.__got = [];
      Halo.on('message', (m) => window.__got.push({ id: m.id, text: m.text, role: m.role }));
      setInterval(() => {
        const t = document.querySelector('halo-widget')?.shadowRoot?.querySelector('.ty .t')?.textContent;
        if (t && t !== '•••' && window.__partial.at(-1) !== t) window.__partial.push(t);
      }, 10);`,
  });
}
const read = <T>(p: Page, name: string) => p.evaluate((n) => (window as unknown as Record<string, T>)[n], name);

async function openAndSend(
  userId: string,
  text: string,
): Promise<{ tab: Page; close(): Promise<void>; problems: Awaited<ReturnType<typeof watch>> }> {
  host.routes.set('/', { body: page(userId) });
  const context = await browser.newContext();
  const tab = await context.newPage();
  const problems = await watch(tab);
  await tab.goto(host.url);
  await tab.getByRole('button', { name: /Open support chat/ }).click();
  // The channel is open once the server has it (the widget subscribed at mount).
  await new Promise((r) => setTimeout(r, 1000));
  await tab.getByRole('textbox').fill(text);
  await tab.keyboard.press('Enter');
  return { tab, problems, close: () => context.close() };
}

describe('AI replies in Chromium', () => {
  it('the widget shows the reply growing (≥ 2 partial updates), then one final reply, and the history holds it once', async () => {
    const answer = 'Your enterprise plan renews on the first of each month. Anything else I can help with?';
    model.script({ kind: 'reply', text: answer, chunks: 6, delayMs: 200 });
    const { tab, problems, close } = await openAndSend('alice', 'When does my plan renew?');
    const log = tab.locator('halo-widget').locator('.lg');
    await log.getByText(answer).waitFor({ timeout: 10_000 });
    const partial = await read<string[]>(tab, '__partial');
    expect(partial.length).toBeGreaterThanOrEqual(2);
    for (const text of partial) expect(answer.startsWith(text) && text !== answer).toBe(true);
    // One bubble for the reply, no typing left, and one `message` for it.
    await expect.poll(() => log.locator('.ty').count()).toBe(0);
    expect(await log.getByText(answer).count()).toBe(1);
    const got = await read<{ text: string; role: string }[]>(tab, '__got');
    expect(got.filter((m) => m.text === answer)).toHaveLength(1);
    const history = await tab.evaluate(() => (window as unknown as { Halo: { history(): Promise<{ text: string }[]> } }).Halo.history());
    expect(history.map((m) => m.text)).toEqual(['When does my plan renew?', answer]);
    // The model saw the verified claim.
    expect(model.completions().at(-1)!.body.messages[0].content).toContain('"plan":"enterprise"');
    expect(problems.errors).toEqual([]);
    expect(problems.console).toEqual([]);
    await close();
  });

  it('a model answering 500 gives the user the fallback; the message is kept and the conversation needs a person', async () => {
    model.setDefault({ kind: 'status', status: 500, message: 'down' });
    const { tab, close } = await openAndSend('bob', 'Is anyone there?');
    const log = tab.locator('halo-widget').locator('.lg');
    await log.getByText(/A person from our team will reply here/).waitFor({ timeout: 15_000 });
    const history = await tab.evaluate(() =>
      (window as unknown as { Halo: { history(): Promise<{ text: string; conversation_id: string }[]> } }).Halo.history(),
    );
    expect(history[0]!.text).toBe('Is anyone there?');
    expect((await store.getSummary(widgetKey, history[0]!.conversation_id))!.needs_human).toBe(true);
    await close();
  });
});
