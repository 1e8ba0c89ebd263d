// A project's AI replies set and cleared in /admin (issue 25), on a real server over a real
// PostgreSQL: the next chat follows the change without a restart, and the API key (only ever
// in the environment variable the section names) reaches no admin answer, audit line, table or log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProjectKeys, startHaloServer, type HaloServer } from '../../src/index.js';
import { createPostgresStore } from '../../src/store/create-postgres-store.js';
import type { SqlConversationStore } from '../../src/store/sql-store.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { startFakeModelServer, type FakeModelServer } from '../ai/fake-model-server.js';

const TOKEN = 'op_ai_token_0123456789abcdef';
const KEY_ENV = 'HALO_ADMIN_AI_TEST_KEY';
const API_KEY = 'sk-admin-ai-key-value-7c1e9a2b4d';
const pg = usePostgres();
const { widgetKey } = generateProjectKeys();
let model: FakeModelServer;
let store: SqlConversationStore;
let server: HaloServer;
const logged: string[] = [];

async function admin(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}/api/admin/${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as any };
}

async function chat(message: string) {
  const response = await fetch(`${server.url}/api/sdk/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ widget_key: widgetKey, visitor_id: 'v-ai', message }),
  });
  return (await response.json()) as any;
}

const history = async (conversationId: string) => {
  const response = await fetch(`${server.url}/api/sdk/history`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ widget_key: widgetKey, visitor_id: 'v-ai', conversation_id: conversationId }),
  });
  return ((await response.json()) as any).messages as { author: string; text: string }[];
};

const section = () => ({ baseUrl: model.url, model: 'fake-model', apiKeyEnv: KEY_ENV, instructions: 'You help with Acme billing.' });

beforeAll(async () => {
  model = await startFakeModelServer();
  process.env[KEY_ENV] = API_KEY;
  store = await createPostgresStore({ connectionString: pg.cluster.url });
  const line = (...args: unknown[]) =>
    void logged.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(' '));
  server = await startHaloServer({
    projects: [{ widgetKey }],
    store,
    logger: { info: line, warn: line, error: line },
    rateLimit: false,
    admin: { token: TOKEN },
  });
}, 60_000);

afterAll(async () => {
  delete process.env[KEY_ENV];
  await server?.close();
  await store?.close();
  await model?.close();
});

describe("a project's ai section in /admin", () => {
  it('set through the API, the next chat is answered by the model; cleared, by the default respond; each change is audited', async () => {
    model.setDefault({ kind: 'reply', text: 'The model says your plan renews monthly.' });
    const before = await chat('hello');
    expect(before.message).toMatchObject({ author: 'assistant' });
    expect(before.message.text).not.toContain('The model says');

    const set = await admin('PUT', `projects/${widgetKey}/ai`, section());
    expect(set.status).toBe(200);
    expect(set.body.project.ai).toMatchObject({ model: 'fake-model', apiKeyEnv: KEY_ENV, apiKeySet: true, maxTokens: 512 });
    const byModel = await chat('When does my plan renew?');
    // The model answers later, over the channel: the chat answers with the stored user message.
    expect(byModel.message).toMatchObject({ author: 'user' });
    await expect
      .poll(async () => (await history(byModel.conversation_id)).map((m) => m.text), { timeout: 10_000, interval: 100 })
      .toContain('The model says your plan renews monthly.');
    expect(model.completions().at(-1)!.headers.authorization).toBe(`Bearer ${API_KEY}`);

    const cleared = await admin('DELETE', `projects/${widgetKey}/ai`, {});
    expect(cleared.status).toBe(200);
    expect(cleared.body.project.ai).toBeNull();
    const calls = model.completions().length;
    const after = await chat('and now?');
    expect(after.message).toMatchObject({ author: 'assistant' });
    expect(after.message.text).not.toContain('The model says');
    expect(model.completions()).toHaveLength(calls);

    const audit = await admin('GET', `projects/${widgetKey}/audit`);
    expect(audit.body.audit.slice(0, 2).map((e: any) => e.action)).toEqual(['ai.clear', 'ai.set']);
    expect(audit.body.audit[1].detail.ai.to).toMatchObject({ apiKeyEnv: KEY_ENV, model: 'fake-model' });
  });

  it('refuses a key in place of the variable name, the key inside any field, and an identity secret, with a 400 quoting none', async () => {
    const refusals = [
      { ...section(), apiKeyEnv: 'sk_live_4f9a8b7c6d5e4f3a2b1c' },
      { ...section(), instructions: `Use ${API_KEY} when asked.` },
      { ...section(), model: 'ha_secret_abcdefabcdefabcdefabcdef' },
      { ...section(), apiKey: API_KEY },
    ];
    for (const body of refusals) {
      const answer = await admin('PUT', `projects/${widgetKey}/ai`, body);
      expect(answer.status).toBe(400);
      expect(answer.text).not.toContain(API_KEY);
      expect(answer.text).not.toContain('sk_live_4f9a8b7c6d5e4f3a2b1c');
      expect(answer.text).not.toContain('ha_secret_');
    }
    expect((await admin('GET', `projects/${widgetKey}`)).body.project.ai).toBeNull();
  });

  it('never lets the key reach an admin answer, the audit log, any table or the log; apiKeySet follows the variable', async () => {
    const answers: string[] = [];
    answers.push((await admin('PUT', `projects/${widgetKey}/ai`, section())).text);
    answers.push((await admin('GET', 'projects')).text, (await admin('GET', `projects/${widgetKey}`)).text);
    answers.push((await admin('GET', `projects/${widgetKey}/audit?limit=500`)).text);
    await chat('one more');
    await expect.poll(() => model.completions().length, { timeout: 10_000 }).toBeGreaterThan(0);
    for (const answer of answers) expect(answer).not.toContain(API_KEY);
    expect(logged.join('\n')).not.toContain(API_KEY);

    const { rows: tables } = await store.client.query<{ tablename: string }>("select tablename from pg_tables where schemaname = 'public'");
    expect(tables.map((t) => t.tablename)).toContain('admin_projects');
    for (const { tablename } of tables) {
      const { rows } = await store.client.query(`select * from "${tablename}"`);
      expect(JSON.stringify(rows), tablename).not.toContain(API_KEY);
    }
    const { rows } = await store.client.query<{ ai: any }>('select ai from admin_projects where widget_key = $1', [widgetKey]);
    expect(rows[0]!.ai).toMatchObject({ apiKeyEnv: KEY_ENV });

    delete process.env[KEY_ENV];
    try {
      expect((await admin('GET', `projects/${widgetKey}`)).body.project.ai.apiKeySet).toBe(false);
    } finally {
      process.env[KEY_ENV] = API_KEY;
    }
  });
});
