// @vitest-environment happy-dom
// @vitest-environment-options { "url": "https://app.example/account" }
// The development build's diagnostics (docs/troubleshooting.md): one `[halo]` console line per
// cause and client that names the fix. Run from src/, so DEV is true, as in the development build.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { requireDist, ROOT } from '../../../../test/helpers/sizes.mjs';
import { createHalo } from '../../src/index.js';
import { TOKEN_SNIPPET } from '../../src/sdk/diagnostics.js';
import type { HaloClient, HaloOptions } from '../../src/index.js';
import { API_BASE, createFakeApi, json, setupClient, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

let lines: Array<{ level: 'warn' | 'error'; text: string }>;
beforeEach(() => {
  lines = [];
  localStorage.clear();
  for (const level of ['warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push({ level, text: args.map(String).join(' ') }));
  }
});
afterEach(() => {
  // Each client listens to the document for CSP violations until it is shut down.
  clients.splice(0).forEach((client) => client.shutdown());
  vi.restoreAllMocks();
});

const clients: HaloClient[] = [];

/** setupClient, shut down after the test. */
function setup(...args: Parameters<typeof setupClient>): ReturnType<typeof setupClient> {
  const made = setupClient(...args);
  clients.push(made.client);
  return made;
}

/** createHalo without launcher, shut down after the test. */
function make(options: Omit<HaloOptions, 'widgetKey'>): HaloClient {
  const client = createHalo({ widgetKey: WIDGET_KEY, launcher: false, ...options });
  clients.push(client);
  return client;
}

/** The console lines that contain `fragment`. */
const said = (fragment: string) => lines.filter((line) => line.text.includes(fragment));

/** Fires a CSP violation on the document, as a browser does when it blocks a request. */
function violate(blockedURI: string, effectiveDirective = 'connect-src'): void {
  document.dispatchEvent(
    Object.assign(new Event('securitypolicyviolation'), { blockedURI, effectiveDirective, violatedDirective: effectiveDirective }),
  );
}

const HTML_404 = () =>
  new Response('<!DOCTYPE html><title>Error</title><pre>Cannot POST /api/sdk/identify</pre>', {
    status: 404,
    headers: { 'Content-Type': 'text/html' },
  });

describe('diagnostics that name the fix (development build)', () => {
  it('an identity secret in the options prints "never ship the identity secret to the browser; sign tokens on your server"', () => {
    expect(() =>
      createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, userId: 'alice', userToken: 'ha_secret_0123' }),
    ).toThrow();
    const hint = said('never ship the identity secret to the browser; sign tokens on your server');
    expect(hint).toHaveLength(1);
    expect(hint[0]).toMatchObject({ level: 'error', text: expect.stringMatching(/^\[halo\] /) });
    expect(hint[0]!.text).not.toContain('ha_secret_0123');
  });

  it('a secret passed to identify or returned by getUserToken prints the secret hint once per client', async () => {
    const api = createFakeApi();
    const { client } = setup(api, { userId: 'alice', getUserToken: async () => 'ha_secret_0123' });
    await client.history().catch(() => undefined);
    await client.identify('alice', {}, { userToken: 'ha_secret_4567' }).catch(() => undefined);
    expect(said('never ship the identity secret to the browser')).toHaveLength(1);
    expect(lines.map((l) => l.text).join('\n')).not.toMatch(/ha_secret_\w/);
  });

  it('a token whose user_id is not the userId prints token_user_mismatch naming the userId, without the token', async () => {
    const bobs = tokenFor('bob');
    const { client } = setup(createFakeApi(), { userId: 'alice', userToken: bobs });
    await client.history().catch(() => undefined);
    const hint = said('token_user_mismatch');
    expect(hint).toHaveLength(1);
    expect(hint[0]!.text).toContain('"alice"');
    expect(hint[0]!.text).toContain('user_id set to the same id you pass as userId');
    expect(hint[0]!.text).not.toContain(bobs.split('.')[1]);
  });

  it('a user without name or email warns once that they show as "Anonymous" and names userTraits (warn-missing-traits)', async () => {
    const api = createFakeApi();
    const client = make({
      apiBase: API_BASE,
      fetch: api.fetch,
      userId: 'alice',
      userToken: tokenFor('alice'),
    });
    await client.identify('alice');
    const hint = said('"Anonymous"');
    expect(hint).toHaveLength(1);
    expect(hint[0]).toMatchObject({ level: 'warn', text: expect.stringContaining('Pass userTraits: { name, email }') });
  });

  it('a token that lives less than the 5-minute refresh skew warns to sign tokens of at least 10 minutes', async () => {
    const api = createFakeApi();
    const { client } = setup(api, { userId: 'alice', getUserToken: async () => tokenFor('alice', 120) });
    await client.history();
    await client.sendMessage('hi');
    const hint = said('lives 120 s');
    expect(hint).toHaveLength(1);
    expect(hint[0]).toMatchObject({ level: 'warn', text: expect.stringContaining('at least 10 minutes') });
    expect(hint[0]!.text).toContain('300 s refresh skew');
  });

  it('a short userToken from the app warns too; a one-hour token does not', async () => {
    setup(createFakeApi(), { userId: 'alice', userToken: tokenFor('alice', 3600) });
    expect(said('refresh skew')).toHaveLength(0);
    setup(createFakeApi(), { userId: 'alice', userToken: tokenFor('alice', 60) });
    expect(said('lives 60 s')).toHaveLength(1);
  });

  it.each([
    ['JSON', (token: string) => JSON.stringify({ token }), 'returned JSON'],
    ['a JSON string', (token: string) => JSON.stringify(token), 'returned JSON'],
    ['an HTML error page', () => '<!DOCTYPE html><html><body>Sign in</body></html>', 'returned an HTML page'],
    ['a parsed object', (token: string) => ({ token }) as unknown as string, 'returned an object'],
  ])('getUserToken returning %s prints that it is not a JWT and shows the r.ok + r.text() pattern', async (_what, wrap, fragment) => {
    const token = tokenFor('alice');
    const api = createFakeApi();
    const { client } = setup(api, { userId: 'alice', getUserToken: async () => wrap(token) });
    await client.history().catch(() => undefined);
    const hint = said(fragment);
    expect(hint).toHaveLength(1);
    expect(hint[0]!.level).toBe('error');
    expect(hint[0]!.text).toContain(TOKEN_SNIPPET);
    expect(TOKEN_SNIPPET).toContain("if (!r.ok) throw new Error('token endpoint ' + r.status); return r.text();");
    expect(lines.map((l) => l.text).join('\n')).not.toContain(token.split('.')[1]);
    // A body that merely holds a token is not taken for one, so it is never sent.
    expect(api.calls.filter((c) => c.body.user_token !== undefined)).toEqual([]);
  });

  it('a 404 that is not the Halo API answering names the apiBase option, once per client', async () => {
    const api = createFakeApi({ intercept: HTML_404 });
    const { client, onError } = setup(api);
    await client.history().catch(() => undefined);
    await client.history().catch(() => undefined);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'not_found' }));
    const hint = said('is the apiBase option set?');
    expect(hint).toHaveLength(1);
    expect(hint[0]!.text).toContain(`HTTP 404 from ${API_BASE}/api/sdk/history`);
    expect(hint[0]!.text).toContain("apiBase: 'https://");
    const other = setup(createFakeApi({ intercept: HTML_404 })).client;
    await other.history().catch(() => undefined);
    expect(said('is the apiBase option set?')).toHaveLength(2);
  });

  it('a forgotten apiBase (the page origin by default) is said so', async () => {
    const api = createFakeApi({ intercept: HTML_404 });
    const client = make({ fetch: api.fetch });
    await client.history().catch(() => undefined);
    expect(said("apiBase is this page's own origin (https://app.example)")).toHaveLength(1);
  });

  it("the Halo API's own 404 (a conversation of another user) prints nothing", async () => {
    const api = createFakeApi({ intercept: () => json(404, { error: { code: 'not_found', message: 'No such conversation.' } }) });
    const { client } = setup(api);
    await client.history().catch(() => undefined);
    expect(lines).toEqual([]);
  });

  it('a CSP connect-src violation on the API names the directive and the origin to add', () => {
    setup(createFakeApi());
    violate(`${API_BASE}/api/sdk/chat`);
    violate(`${API_BASE}/api/sdk/history`);
    const hint = said('Content-Security-Policy blocked the Halo API');
    expect(hint).toHaveLength(1);
    expect(hint[0]!.text).toContain(`add ${API_BASE} to its connect-src directive`);
  });

  it("a CSP violation while getUserToken fails names the token endpoint's origin ('self' for the page's own)", async () => {
    const { client } = setup(createFakeApi(), {
      userId: 'alice',
      getUserToken: async () => {
        violate('https://app.example/api/halo-token');
        throw new TypeError('Failed to fetch');
      },
    });
    await client.history().catch(() => undefined);
    const hint = said("blocked getUserToken's request to https://app.example");
    expect(hint).toHaveLength(1);
    expect(hint[0]!.text).toContain("add 'self' (this page's origin, https://app.example) to its connect-src directive");
  });

  it("another request's violation, or one after shutdown, prints nothing", () => {
    const { client } = setup(createFakeApi(), {
      userId: 'alice',
      userToken: tokenFor('alice'),
      getUserToken: async () => tokenFor('alice'),
    });
    violate('https://cdn.example/analytics');
    violate(`${API_BASE}/api/sdk/chat`, 'img-src');
    client.shutdown();
    violate(`${API_BASE}/api/sdk/chat`);
    expect(said('Content-Security-Policy')).toEqual([]);
  });

  it.each([
    ['token_missing', 'Pass userToken and/or getUserToken'],
    ['token_invalid', 'HS256'],
    ['user_mismatch', 'Sign user_id with the same id you pass as userId'],
    ['token_expired', 'there is no getUserToken'],
  ])('an enforce 403 %s that expires the identity prints the reason and what to do', async (reason, fix) => {
    const api = createFakeApi({ judge: () => ({ reason }) });
    const { client } = setup(api, { userId: 'alice', userToken: tokenFor('alice') });
    await client.history().catch(() => undefined);
    await client.history().catch(() => undefined);
    const hint = said(`(403 ${reason})`);
    expect(hint).toHaveLength(1);
    expect(hint[0]!.text).toContain(fix);
  });

  it('token_expired with getUserToken says to sign a new token on every request and check the clock', async () => {
    const api = createFakeApi({ judge: () => ({ reason: 'token_expired' }) });
    const { client } = setup(api, { userId: 'alice', getUserToken: async () => tokenFor('alice') });
    await client.history().catch(() => undefined);
    expect(said('(403 token_expired)')[0]!.text).toContain('never cache it');
  });

  it('a 403 that one refresh cures prints nothing (retry-once-on-403 did its job)', async () => {
    const stale = tokenFor('alice', 3600, { jti: 'stale' });
    const api = createFakeApi({ judge: (body) => (body.user_token === stale ? { reason: 'token_expired' } : 'ok') });
    const { client } = setup(api, { userId: 'alice', userToken: stale, getUserToken: async () => tokenFor('alice') });
    await client.history();
    expect(lines).toEqual([]);
  });

  it('a correct set-up prints nothing at all', async () => {
    const { client } = setup(createFakeApi(), { userId: 'alice', getUserToken: async () => tokenFor('alice') });
    await client.sendMessage('hello');
    expect(lines).toEqual([]);
  });
});

describe('the production build', () => {
  const HINTS = [
    'never ship the identity secret',
    TOKEN_SNIPPET,
    'r.text()',
    'to its connect-src directive',
    'securitypolicyviolation',
    's refresh skew (refreshSkewSeconds)',
    'is the apiBase option set',
    'never cache it',
    'Pass userTraits',
    'enforce mode refused the token',
    "a token's user_id is not",
  ];
  /** The browser code in dist/ (the server is Node-only), by build: every ESM, CJS and script-tag file with its chunks. */
  const browserFiles = (dir = 'dist'): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? entry.name === 'server'
          ? []
          : browserFiles(`${dir}/${entry.name}`)
        : /\.(m|c)?js$/.test(entry.name)
          ? [`${dir}/${entry.name}`]
          : [],
    );
  const read = (files: string[]) => files.map((file) => readFileSync(join(ROOT, file), 'utf8')).join('\n');

  it('contains none of the diagnostics; the development build has them all', () => {
    requireDist(ROOT, ['dist/index.mjs', 'dist/index.cjs', 'dist/halo.js', 'dist/index.development.mjs', 'dist/halo.development.js']);
    const all = browserFiles();
    const production = read(all.filter((file) => !file.includes('.development')));
    const dev = all.filter((file) => file.includes('.development'));
    // The npm ESM and CJS development builds (entry and chunks), and the script-tag one.
    const development = [/\.mjs$/, /\.cjs$/, /halo\.development\.js$/].map((kind) => read(dev.filter((file) => kind.test(file))));
    for (const hint of HINTS) {
      expect(production, hint).not.toContain(hint);
      for (const build of development) expect(build, hint).toContain(hint);
    }
  });
});
