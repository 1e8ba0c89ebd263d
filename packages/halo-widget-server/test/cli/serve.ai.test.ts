// `halo-widget-server serve` with an "ai" section in its config file (issue 25), as a real
// process: the key from HALO_AI_API_KEY reaches the model's Authorization header and never the
// process's output, the chat answer, the channel or /admin, even when the model quotes it back.
import jwt from 'jsonwebtoken';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProjectKeys } from '../../src/index.js';
import { call, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';
import { openChannel } from '../../../../test/helpers/channel-reader.js';
import { startFakeModelServer, type FakeModelServer } from '../ai/fake-model-server.js';

const API_KEY = 'sk-serve-ai-0a1b2c3d4e5f6a7b';
const ADMIN_TOKEN = 'serve-ai-admin-token-0123456789';
const KEY = 'ab_test_serveai';
const { identitySecret: SECRET } = generateProjectKeys();
let model: FakeModelServer;
let serve: ServeProcess;
let dir: string;

beforeAll(async () => {
  model = await startFakeModelServer();
  dir = mkdtempSync(join(tmpdir(), 'halo-serve-ai-'));
  const file = join(dir, 'halo.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      projects: [{ widgetKey: KEY, identitySecrets: [SECRET], mode: 'enforce' }],
      rateLimit: false,
      ai: { baseUrl: model.url, model: 'fake', apiKeyEnv: 'HALO_AI_API_KEY', instructions: 'Help.', timeoutMs: 2000 },
    }),
  );
  serve = await startServe(file, ['--memory'], { HALO_AI_API_KEY: API_KEY, HALO_ADMIN_TOKEN: ADMIN_TOKEN });
}, 90_000);
afterAll(async () => {
  await serve?.stop();
  await model?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve with "ai"', () => {
  it('answers through the model with the key in its Authorization header only; the key is in no output, answer or admin page', async () => {
    model.script(
      { kind: 'reply', text: 'Hello from the model' },
      { kind: 'status', status: 401, message: `Incorrect API key provided: ${API_KEY}` },
    );
    const who = {
      widget_key: KEY,
      user_id: 'ivy',
      user_token: jwt.sign({ user_id: 'ivy', plan: 'pro', exp: Math.floor(Date.now() / 1000) + 600 }, SECRET),
    };
    const live = await openChannel(serve.url, who);
    await live.next('ready');
    const one = await call(serve.url, 'chat', { ...who, message: 'hi' });
    expect(one.body.message).toMatchObject({ author: 'user', text: 'hi' });
    expect((await live.next('message', 10_000)).data.text).toBe('Hello from the model');
    const two = await call(serve.url, 'chat', { ...who, message: 'again', conversation_id: one.body.conversation_id });
    expect((await live.next('message', 10_000)).data.text).toMatch(/person from our team/);
    live.close();
    expect(model.completions()[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    const admin = async (path: string) =>
      (await fetch(`${serve.url}${path}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    const pages = [await admin(`/api/admin/projects/${KEY}`), await admin(`/api/admin/projects/${KEY}/ai-usage`), await admin('/admin')];
    const history = await call(serve.url, 'history', { ...who, conversation_id: one.body.conversation_id });
    await new Promise((r) => setTimeout(r, 200));
    const everything = JSON.stringify([serve.output(), one, two, history, pages, live.events]);
    await expect.poll(() => serve.output()).toMatch(/ai: no reply/);
    expect(everything).not.toContain(API_KEY);
    expect(everything).not.toContain(API_KEY.slice(-10));
  });
});
