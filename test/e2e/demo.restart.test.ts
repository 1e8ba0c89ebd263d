// The demo keeps its conversations in the embedded database: after a restart on the same
// folder, a user's history is still there (and Bob's seeded message is not added twice).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain-JS demo module, no types
import { startDemo } from '../../demo/server.mjs';

const dataDir = mkdtempSync(join(tmpdir(), 'halo-demo-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const quiet = { info() {}, warn() {}, error: console.error };

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return response.json();
}

/** Signs in as a demo user and calls the API with the demo backend's token. */
async function asUser(url: string, widgetKey: string, user: string) {
  const { session } = await post(url, '/demo/login', { user });
  const { token } = await post(url, '/demo/token', {}, { 'x-demo-session': session });
  return (call: string, body: Record<string, unknown> = {}) =>
    post(url, `/api/sdk/${call}`, { widget_key: widgetKey, user_id: user, user_token: token, ...body });
}

const widgetKeyOf = async (url: string) => /ab_live_[A-Za-z0-9_-]+/.exec(await (await fetch(url)).text())![0];

describe('the demo on its embedded database', () => {
  it('keeps the conversations across a restart', async () => {
    const first = await startDemo({ port: 0, logger: quiet, dataDir });
    const widgetKey = await widgetKeyOf(first.url);
    try {
      const alice = await asUser(first.url, widgetKey, 'alice');
      expect((await alice('chat', { message: 'Remember me?', client_message_id: 'cm-remember' })).message.role).toBe('assistant');
    } finally {
      await first.close();
    }
    const second = await startDemo({ port: 0, logger: quiet, dataDir });
    try {
      expect(await widgetKeyOf(second.url)).toBe(widgetKey);
      const alice = await asUser(second.url, widgetKey, 'alice');
      const history = await alice('history');
      expect(history.messages.map((m: { text: string }) => m.text)).toContain('Remember me?');
      const bob = await asUser(second.url, widgetKey, 'bob');
      expect((await bob('history')).messages.filter((m: { role: string }) => m.role === 'user')).toHaveLength(1);
    } finally {
      await second.close();
    }
  }, 120_000);
});
