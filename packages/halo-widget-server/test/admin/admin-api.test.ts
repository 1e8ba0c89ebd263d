// The admin JSON API on a real loopback server: access (404 when off, 401, CSRF), secrets
// shown once and never again (responses and logs), rotation without a refused request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProjectKeys, signUserToken, startHaloServer, type HaloServer } from '../../src/index.js';
import { silentLogger } from '../../../../test/helpers/server.js';

const TOKEN = 'op_test_token_0123456789abcdef';

async function call(
  base: string,
  method: string,
  path: string,
  init: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== null) headers.Authorization = `Bearer ${init.token ?? TOKEN}`;
  if (init.body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch (error) {
    void error; // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body, text };
}

describe('an admin surface without an operator token', () => {
  let server: HaloServer;
  beforeAll(async () => {
    server = await startHaloServer({ projects: [{ widgetKey: generateProjectKeys().widgetKey }], logger: silentLogger(), admin: {} });
  });
  afterAll(() => server.close());

  it('answers 404 for every admin path and the page, whatever the token', async () => {
    expect((await call(server.url, 'GET', '/api/admin/projects')).status).toBe(404);
    expect((await call(server.url, 'GET', '/api/admin/projects', { token: 'anything-at-all-1234' })).status).toBe(404);
    expect((await call(server.url, 'POST', '/api/admin/projects', { body: {} })).status).toBe(404);
    expect((await call(server.url, 'GET', '/admin', { token: null })).status).toBe(404);
    expect((await call(server.url, 'GET', '/admin/admin.js', { token: null })).status).toBe(404);
  });
});

describe('the admin API with an operator token', () => {
  const logger = silentLogger();
  const { widgetKey, identitySecret: configSecret } = generateProjectKeys();
  let server: HaloServer;
  const seen: string[] = [];
  const api = async (...args: Parameters<typeof call> extends [string, ...infer R] ? R : never) => {
    const answer = await call(server.url, ...args);
    seen.push(answer.text);
    return answer;
  };
  const chat = (userId: string, token?: string) =>
    fetch(`${server.url}/api/sdk/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ widget_key: widgetKey, user_id: userId, user_token: token, message: 'hello' }),
    });

  beforeAll(async () => {
    server = await startHaloServer({ projects: [{ widgetKey, identitySecrets: [configSecret] }], logger, admin: { token: TOKEN } });
  });
  afterAll(() => server.close());

  it('refuses a missing, malformed or wrong token with 401 and WWW-Authenticate', async () => {
    for (const headers of [
      {},
      { Authorization: TOKEN },
      { Authorization: `Basic ${TOKEN}` },
      { Authorization: `Bearer ${TOKEN}x` },
      { Authorization: 'Bearer ' },
    ] as Record<string, string>[]) {
      const answer = await call(server.url, 'GET', '/api/admin/projects', { token: null, headers });
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('unauthorized');
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('lists the config file’s project with its secret by id and last four characters, never the value', async () => {
    const answer = await api('GET', '/api/admin/projects');
    expect(answer.status).toBe(200);
    const [project] = answer.body.projects;
    expect(project).toMatchObject({ widgetKey, mode: null, effectiveMode: 'monitor', allowedOrigins: null, maxTokenLifetime: null });
    expect(project.secrets).toEqual([
      { id: expect.stringMatching(/^sec_/), hint: configSecret.slice(-4), createdAt: expect.any(String), retiredAt: null },
    ]);
    expect(answer.text).not.toContain(configSecret);
  });

  it('never grants CORS: a preflight or a cross-origin read gets no Access-Control-Allow-Origin', async () => {
    const preflight = await fetch(`${server.url}/api/admin/projects`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.test', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const read = await call(server.url, 'GET', '/api/admin/projects', { headers: { Origin: 'https://evil.test' } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a cross-site form, a text/plain POST and a foreign Origin, even with the token', async () => {
    const path = `/api/admin/projects/${widgetKey}/settings`;
    const form = await api('PATCH', path, { body: 'mode=off', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const plain = await api('PATCH', path, { body: '{"mode":"off"}', headers: { 'Content-Type': 'text/plain' } });
    expect(plain.status).toBe(415);
    const foreign = await api('PATCH', path, { body: { mode: 'off' }, headers: { Origin: 'https://evil.test' } });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('cross_site_refused');
    const crossSite = await api('PATCH', path, { body: { mode: 'off' }, headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    const generate = await api('POST', `/api/admin/projects/${widgetKey}/secrets`, { body: '', headers: { 'Content-Type': 'text/plain' } });
    expect(generate.status).toBe(415);
    expect((await api('GET', `/api/admin/projects/${widgetKey}`)).body.project.effectiveMode).toBe('monitor');
  });

  it('accepts a change from the server’s own origin and from a client that sends no Origin', async () => {
    const own = await api('PATCH', `/api/admin/projects/${widgetKey}/settings`, {
      body: { maxTokenLifetime: '24h' },
      headers: { Origin: server.url },
    });
    expect(own.status).toBe(200);
    expect(own.body.project.maxTokenLifetime).toBe('24h');
    const cli = await api('PATCH', `/api/admin/projects/${widgetKey}/settings`, {
      body: { maxTokenLifetime: null, allowedOrigins: ['https://app.example.com/'] },
    });
    expect(cli.body.project).toMatchObject({ maxTokenLifetime: null, allowedOrigins: ['https://app.example.com'] });
    await api('PATCH', `/api/admin/projects/${widgetKey}/settings`, { body: { allowedOrigins: null } });
  });

  it('refuses bad settings with 400 naming the field', async () => {
    const path = `/api/admin/projects/${widgetKey}/settings`;
    expect((await api('PATCH', path, { body: { mode: 'strict' } })).body.error.message).toContain('`mode`');
    expect((await api('PATCH', path, { body: { allowedOrigins: ['app.example.com'] } })).body.error.message).toContain('`allowedOrigins`');
    expect((await api('PATCH', path, { body: { maxTokenLifetime: '1 day' } })).body.error.message).toContain('`maxTokenLifetime`');
    expect((await api('PATCH', path, { body: { identitySecrets: [] } })).status).toBe(400);
    expect((await api('GET', '/api/admin/projects/ab_live_nope/audit')).status).toBe(404);
  });

  it('rotates without refusing a request, then a retired secret’s tokens are refused', async () => {
    const generated = await api('POST', `/api/admin/projects/${widgetKey}/secrets`, { body: {} });
    expect(generated.status).toBe(201);
    const fresh: string = generated.body.secret;
    expect(fresh).toMatch(/^ha_secret_[A-Za-z0-9_-]{43}$/);
    expect((await api('PATCH', `/api/admin/projects/${widgetKey}/settings`, { body: { mode: 'enforce' } })).status).toBe(200);
    const oldToken = await signUserToken({ user_id: 'alice' }, configSecret, { expiresIn: 600 });
    const newToken = await signUserToken({ user_id: 'alice' }, fresh, { expiresIn: 600 });
    // Both secrets are active: nothing is refused during the rollout of the new one.
    expect((await chat('alice', oldToken)).headers.get('halo-identity')).toBe('verified');
    expect((await chat('alice', newToken)).headers.get('halo-identity')).toBe('verified');
    const list = (await api('GET', `/api/admin/projects/${widgetKey}`)).body.project.secrets;
    const oldId = list.find((s: { hint: string }) => s.hint === configSecret.slice(-4)).id;
    const retired = await api('POST', `/api/admin/projects/${widgetKey}/secrets/${oldId}/retire`, { body: {} });
    expect(retired.status).toBe(200);
    expect(retired.body.project.secrets.find((s: { id: string }) => s.id === oldId)).toMatchObject({
      hint: '',
      retiredAt: expect.any(String),
    });
    const refused = await chat('alice', oldToken);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('halo-identity')).toBe('unverified; reason=token_invalid');
    expect((await chat('alice', newToken)).status).toBe(200);
  });

  it('refuses to retire the last active secret while verifying, and enforce without a secret', async () => {
    const project = (await api('GET', `/api/admin/projects/${widgetKey}`)).body.project;
    const last = project.secrets.find((s: { retiredAt: string | null }) => !s.retiredAt).id;
    const answer = await api('POST', `/api/admin/projects/${widgetKey}/secrets/${last}/retire`, { body: {} });
    expect(answer.status).toBe(409);
    const created = await api('POST', '/api/admin/projects', { body: {} });
    expect(created.status).toBe(201);
    const enforce = await api('PATCH', `/api/admin/projects/${created.body.project.widgetKey}/settings`, { body: { mode: 'enforce' } });
    expect(enforce.status).toBe(409);
  });

  it('writes every change to the audit log (who, what, when) and shows the newest first', async () => {
    const answer = await api('GET', `/api/admin/projects/${widgetKey}/audit`, { headers: { 'Halo-Operator': 'test suite' } });
    const actions = answer.body.audit.map((entry: { action: string }) => entry.action);
    expect(actions).toEqual([
      'secret.retire',
      'settings.update',
      'secret.generate',
      'settings.update',
      'settings.update',
      'settings.update',
      'project.import',
    ]);
    expect(answer.body.audit[0]).toMatchObject({ widgetKey, actor: 'operator from 127.0.0.1', at: expect.stringMatching(/^\d{4}-/) });
    expect(answer.body.audit[1].detail).toEqual({ mode: { from: null, to: 'enforce' } });
  });

  it('serves the page, its script and style under a strict CSP, with no inline script or style', async () => {
    const page = await call(server.url, 'GET', '/admin', { token: null });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.toMatch(/<style|\sstyle=/);
    expect((await call(server.url, 'GET', '/admin/admin.js', { token: null })).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    expect((await call(server.url, 'GET', '/admin/admin.css', { token: null })).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    expect((await call(server.url, 'GET', '/admin/other.js', { token: null })).status).toBe(404);
  });

  it('counts the SDK version a client names in Halo-SDK, and "unknown" without one', async () => {
    const body = JSON.stringify({ widget_key: widgetKey, visitor_id: 'v-sdk', message: 'hello' });
    await fetch(`${server.url}/api/sdk/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Halo-SDK': 'halo-widget/9.9.9' },
      body,
    });
    await fetch(`${server.url}/api/sdk/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Halo-SDK': 'bad value <script>' },
      body,
    });
    const report = await api('GET', `/api/admin/projects/${widgetKey}/identity-report`);
    expect(report.body.windows['1h'].sdkVersions['halo-widget/9.9.9']).toBe(1);
    expect(report.body.windows['1h'].sdkVersions.unknown).toBeGreaterThanOrEqual(1);
    expect(Object.keys(report.body.windows['1h'].sdkVersions)).toHaveLength(2);
  });

  it('never shows a secret again after its creation, in any answer or log line', async () => {
    const generated = seen.find((text) => text.includes('"secret":"ha_secret_'))!;
    const fresh = JSON.parse(generated).secret as string;
    const after = seen.slice(seen.indexOf(generated) + 1);
    after.push((await api('GET', '/api/admin/projects')).text, (await api('GET', `/api/admin/projects/${widgetKey}/audit`)).text);
    after.push((await api('GET', `/api/admin/projects/${widgetKey}/identity-report`)).text);
    for (const text of after) {
      expect(text).not.toContain(fresh);
      expect(text).not.toContain(configSecret);
      expect(text).not.toMatch(/ha_secret_[A-Za-z0-9_-]{20}/);
    }
    const logged = JSON.stringify(logger.lines);
    expect(logged).toContain('[halo] admin: secret.generate');
    expect(logged).not.toMatch(/ha_secret_[A-Za-z0-9_-]{8}/);
  });
});

describe('a maximum token lifetime set through the admin API', () => {
  const { widgetKey, identitySecret } = generateProjectKeys();
  let server: HaloServer;
  beforeAll(async () => {
    server = await startHaloServer({
      projects: [{ widgetKey, identitySecrets: [identitySecret], mode: 'enforce' }],
      logger: silentLogger(),
      admin: { token: TOKEN },
    });
  });
  afterAll(() => server.close());

  it('applies at once: a token valid for longer than the limit is refused, a shorter one verifies', async () => {
    const chat = async (expiresIn: number) =>
      fetch(`${server.url}/api/sdk/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          widget_key: widgetKey,
          user_id: 'alice',
          user_token: await signUserToken({ user_id: 'alice' }, identitySecret, { expiresIn }),
          message: 'hi',
        }),
      });
    expect((await chat(24 * 3600)).status).toBe(200);
    expect(
      (await call(server.url, 'PATCH', `/api/admin/projects/${widgetKey}/settings`, { body: { maxTokenLifetime: '1h' } })).status,
    ).toBe(200);
    const refused = await chat(24 * 3600);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('halo-identity')).toBe('unverified; reason=token_invalid');
    expect((await chat(30 * 60)).status).toBe(200);
  });
});
