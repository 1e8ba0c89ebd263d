// @vitest-environment happy-dom
// @vitest-environment-options { "url": "https://app.example/account" }
// Diagnostics for the misses measured in issue 26: each gets one `[halo]` line naming the fix
// (development build; run from src/, so DEV is true).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHalo } from '../../src/index.js';
import type { HaloClient, HaloOptions } from '../../src/index.js';
import { API_BASE, createFakeApi, json, setupClient, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

let lines: Array<{ level: 'warn' | 'error'; text: string }>;
const clients: HaloClient[] = [];
beforeEach(() => {
  lines = [];
  localStorage.clear();
  for (const level of ['warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push({ level, text: args.map(String).join(' ') }));
  }
});
afterEach(() => {
  clients.splice(0).forEach((client) => client.shutdown());
  vi.restoreAllMocks();
});

function setup(...args: Parameters<typeof setupClient>): ReturnType<typeof setupClient> {
  const made = setupClient(...args);
  clients.push(made.client);
  return made;
}
function make(options: Omit<HaloOptions, 'widgetKey'>): HaloClient {
  const client = createHalo({ widgetKey: WIDGET_KEY, launcher: false, ...options });
  clients.push(client);
  return client;
}
const said = (fragment: string) => lines.filter((line) => line.text.includes(fragment));
const now = () => Math.floor(Date.now() / 1000);

describe('diagnostics that name the fix, for the misses of issue 26', () => {
  it('a getUserToken that throws prints one line with its error and the token endpoint pattern', async () => {
    const { client } = setup(createFakeApi(), {
      userId: 'alice',
      getUserToken: async () => {
        throw new Error('token endpoint 500');
      },
    });
    await client.history().catch(() => undefined);
    await client.history().catch(() => undefined);
    const hint = said('getUserToken threw (Error: token endpoint 500)');
    expect(hint).toHaveLength(1);
    expect(hint[0]!.level).toBe('error');
    expect(hint[0]!.text).toContain('answer 200 with the token as text');
  });

  it('a signing server 2 h behind: token_expired names the clock, not the token endpoint', async () => {
    const iat = now() - 2 * 3600;
    const api = createFakeApi({ judge: () => ({ reason: 'token_expired' }) });
    const { client } = setup(api, { userId: 'alice', getUserToken: async () => tokenFor('alice', 3600, { iat, exp: iat + 3600 }) });
    await client.history().catch(() => undefined);
    expect(said('the clock of the server that signs tokens is behind')).toHaveLength(1);
    expect(said('expired 60 min before')).toHaveLength(1);
    expect(said('never cache it')).toHaveLength(0);
  });

  it('a signing server 10 min ahead: token_invalid names the clock, not the secret', async () => {
    const iat = now() + 600;
    const api = createFakeApi({ judge: () => ({ reason: 'token_invalid' }) });
    const { client } = setup(api, { userId: 'alice', getUserToken: async () => tokenFor('alice', 3600, { iat, exp: iat + 3600 }) });
    await client.history().catch(() => undefined);
    expect(said('the clock of the server that signs tokens is ahead')).toHaveLength(1);
    expect(said('10 min after')).toHaveLength(1);
    expect(said("this project's identity secret exactly as written")).toHaveLength(0);
  });

  it('a call the browser blocks (CORS) names this page’s origin and allowedOrigins', async () => {
    const api = createFakeApi({
      intercept: () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const { client } = setup(api);
    await client.history().catch(() => undefined);
    const hint = said("add this page's origin (https://app.example) to the project's allowedOrigins");
    expect(hint).toHaveLength(1);
  });

  it("the API's 404 for a path it does not serve names apiBase's path prefix", async () => {
    const api = createFakeApi({
      intercept: () => json(404, { error: { code: 'not_found', message: 'Not found: …', reason: 'unknown_path' } }),
    });
    const { client } = setup(api, { apiBase: `${API_BASE}/support` });
    await client.history().catch(() => undefined);
    const hint = said('has a path prefix the server does not have');
    expect(hint).toHaveLength(1);
    expect(hint[0]!.text).toContain(`apiBase ("${API_BASE}/support")`);
  });

  it('no "Anonymous" warning when the token from getUserToken carries name and email claims', async () => {
    const client = make({
      apiBase: API_BASE,
      fetch: createFakeApi().fetch,
      userId: 'alice',
      getUserToken: async () => tokenFor('alice', 3600, { name: 'Alice', email: 'alice@example.com' }),
    });
    await client.identify('alice');
    await client.history();
    expect(said('"Anonymous"')).toHaveLength(0);
  });
});
