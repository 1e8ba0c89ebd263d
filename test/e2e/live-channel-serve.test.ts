// Issue 23 on real `serve` processes and one real PostgreSQL cluster, in Chromium: a widget
// connected to instance A gets an agent's message written through instance B (the agent API,
// with a `hat_` token from the `agents` CLI); after a `kill -9` of A with the channel open and
// a restart on the same port, the widget reconnects and gets the messages written meanwhile
// (through B), each once.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedPage, launchBrowser, serverModule, startHostServer, WIDGET, type HostServer } from './browser.js';
import { usePostgres } from '../helpers/postgres.js';
import { call, configFile, startServe, type ServeProcess } from '../helpers/serve-process.js';

const BIN = path.resolve(import.meta.dirname, '../../packages/halo-widget-server/bin/halo-widget-server.mjs');
const postgres = usePostgres();
let host: HostServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let config: ReturnType<typeof configFile>;
let widgetKey: string;
let secret: string;
let snippet: string;
let agentToken: string;
const running: ServeProcess[] = [];

beforeAll(async () => {
  ({ widgetKey, identitySecret: secret } = (await serverModule()).generateProjectKeys());
  snippet = readFileSync(path.join(WIDGET, 'dist/snippet.js'), 'utf8');
  config = configFile([{ widgetKey, identitySecrets: [secret], mode: 'enforce' }]);
  // The agents CLI on the same database, as an operator would run it: an account, then its API token.
  const env = { ...process.env, DATABASE_URL: postgres.cluster.url };
  const cli = (args: string[], input = '') => spawnSync(process.execPath, [BIN, 'agents', ...args], { env, input, encoding: 'utf8' });
  const added = cli(['add', '--email', 'ann@example.com', '--name', 'Ann', '--role', 'agent'], 'a long password for Ann\n');
  expect(added.status, added.stderr).toBe(0);
  const issued = cli(['token', '--email', 'ann@example.com']);
  expect(issued.status, issued.stderr).toBe(0);
  agentToken = issued.stdout.trim();
  expect(agentToken).toMatch(/^hat_/);
  host = await startHostServer();
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await host?.close();
  for (const serve of running) await serve.stop();
  config?.remove();
}, 60_000);

const serve = async (port = 0) => {
  const started = await startServe(config.file, port ? ['--port', String(port)] : [], { DATABASE_URL: postgres.cluster.url });
  running.push(started);
  return started;
};
const sign = (userId: string) => {
  const iat = Math.floor(Date.now() / 1000);
  return jwt.sign({ user_id: userId, name: userId, iat, exp: iat + 600 }, secret);
};
/** The user's conversation, opened by their first chat (through `url`). */
async function chatAt(url: string, userId: string): Promise<string> {
  const answer = await call(url, 'chat', { widget_key: widgetKey, user_id: userId, user_token: sign(userId), message: 'hello' });
  expect(answer.status).toBe(200);
  return answer.body.conversation_id;
}
/** An agent's reply through the agent API of the instance at `url`. */
async function agentWrites(url: string, conversation: string, text: string): Promise<void> {
  const response = await fetch(`${url}/api/agent/conversations/${encodeURIComponent(conversation)}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${agentToken}` },
    body: JSON.stringify({ text, client_message_id: `cm_${crypto.randomUUID()}` }),
  });
  expect(response.status, await response.clone().text()).toBeLessThan(300);
}
/** A page with the widget on the API at `apiBase`, open, recording every `message` event. */
async function widgetOn(apiBase: string, userId: string): Promise<Page> {
  host.routes.set(`/${userId}`, {
    body: embedPage({
      snippet,
      haloSrc: `${apiBase}/halo.js`,
      init: `Halo.init(${JSON.stringify({ widgetKey, apiBase, launcher: false, userId, userToken: sign(userId) })}); window.__got = [];
        Halo.on('message', (m) => window.__got.push(m.text));`,
    }),
  });
  const tab = await (await browser.newContext()).newPage();
  await tab.goto(`${host.url}/${userId}`);
  // The channel opens once the app subscribes; give it a moment to be counted.
  await new Promise((r) => setTimeout(r, 1500));
  return tab;
}
const got = (tab: Page) => tab.evaluate(() => (window as unknown as { __got: string[] }).__got);

describe('the live channel across real serve processes on PostgreSQL', () => {
  it('a widget connected to instance A gets a message written through instance B', async () => {
    const a = await serve();
    const b = await serve();
    const conversation = await chatAt(b.url, 'alice');
    const tab = await widgetOn(a.url, 'alice');
    const written = Date.now();
    await agentWrites(b.url, conversation, 'Hello Alice, from B');
    await expect.poll(() => got(tab), { timeout: 10_000 }).toContain('Hello Alice, from B');
    // Generous for a noisy machine: the bench holds the real figure (p99 in ms).
    expect(Date.now() - written).toBeLessThan(5000);
    await tab.context().close();
  }, 120_000);

  it('after kill -9 of the instance holding the channel and a restart on its port, the widget gets the messages written meanwhile, each once', async () => {
    const a = await serve();
    const b = await serve();
    const conversation = await chatAt(b.url, 'erin');
    const tab = await widgetOn(a.url, 'erin');
    await agentWrites(b.url, conversation, 'before');
    await expect.poll(() => got(tab), { timeout: 10_000 }).toEqual(['before']);
    await a.kill9();
    await agentWrites(b.url, conversation, 'while down 1');
    await agentWrites(b.url, conversation, 'while down 2');
    await serve(Number(new URL(a.url).port));
    await expect.poll(() => got(tab), { timeout: 60_000 }).toEqual(['before', 'while down 1', 'while down 2']);
    await agentWrites(b.url, conversation, 'after');
    await expect.poll(() => got(tab), { timeout: 10_000 }).toEqual(['before', 'while down 1', 'while down 2', 'after']);
    await tab.context().close();
  }, 180_000);
});
