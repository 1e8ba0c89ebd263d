// Agent logins against a real server: the session cookie's attributes, rotation, logout and
// idle end; personal API tokens; the login throttle (429); same-origin JSON only; and the
// /admin API accepting an admin account's session, naming it in the audit log.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, cookieOf, PASSWORD, useAgentServer } from '../../../../test/helpers/agent-http.js';
import { issueApiToken } from '../../src/agents/agent-accounts.js';

const s = useAgentServer();

describe('agent login', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie that identifies the account', async () => {
    const reply = await s.call('POST', '/api/agent/login', { body: { email: 'Ann@x.io', password: PASSWORD } });
    expect(reply.status).toBe(200);
    expect(reply.body.agent).toMatchObject({ email: 'ann@x.io', role: 'agent', projects: ['wk_a'] });
    expect(JSON.stringify(reply.body)).not.toMatch(/scrypt|passwordHash/);
    const cookie = String((reply.headers['set-cookie'] as string[])[0]);
    expect(cookie).toMatch(/^halo_agent_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const me = await s.call('GET', '/api/agent/me', { cookie: cookieOf(reply) });
    expect(me.body.agent.email).toBe('ann@x.io');
  });

  it('marks the cookie Secure behind an https proxy', async () => {
    // Without trustProxy, X-Forwarded-Proto is the client's word and is ignored.
    const plain = await s.call('POST', '/api/agent/login', {
      body: { email: 'ann@x.io', password: PASSWORD },
      headers: { 'X-Forwarded-Proto': 'https' },
    });
    expect(String((plain.headers['set-cookie'] as string[])[0])).not.toContain('Secure');
  });

  it('rotates the session at login and ends it at logout', async () => {
    const first = await s.login('bob@x.io');
    const again = await s.call('POST', '/api/agent/login', { body: { email: 'bob@x.io', password: PASSWORD }, cookie: first });
    const second = cookieOf(again);
    expect(second).not.toBe(first);
    expect((await s.call('GET', '/api/agent/conversations', { cookie: first })).status).toBe(401);
    expect((await s.call('GET', '/api/agent/me', { cookie: second })).status).toBe(200);
    const out = await s.call('POST', '/api/agent/logout', { body: {}, cookie: second });
    expect(out.status).toBe(204);
    expect(String((out.headers['set-cookie'] as string[])[0])).toMatch(/^halo_agent_session=; .*Max-Age=0/);
    expect((await s.call('GET', '/api/agent/conversations', { cookie: second })).status).toBe(401);
  });

  it('ends a session left idle for over two hours', async () => {
    const cookie = await s.login('bob@x.io');
    s.clock.now += 3600_000;
    expect((await s.call('GET', '/api/agent/me', { cookie })).status).toBe(200);
    s.clock.now += 2 * 3600_000 + 1000;
    expect((await s.call('GET', '/api/agent/conversations', { cookie })).status).toBe(401);
  });

  it('accepts a personal API token as Authorization: Bearer, and nothing else', async () => {
    const ann = await s.agents.findAgentByEmail('ann@x.io');
    const token = await issueApiToken(s.agents, ann!.id);
    const me = await s.call('GET', '/api/agent/me', { headers: { Authorization: `Bearer ${token}` } });
    expect(me.body.agent.email).toBe('ann@x.io');
    const wrong = await s.call('GET', '/api/agent/conversations', { headers: { Authorization: `Bearer ${token.slice(0, -2)}xx` } });
    expect(wrong.status).toBe(401);
    // A token is not a session: sent as the cookie it opens nothing.
    expect((await s.call('GET', '/api/agent/me', { cookie: `halo_agent_session=${token}` })).body.agent).toBeNull();
  });
});

describe('login throttle', () => {
  it('answers 429 after 10 wrong passwords for an account, even with the right one from elsewhere', async () => {
    for (let i = 0; i < 10; i++) {
      const wrong = await s.call('POST', '/api/agent/login', {
        body: { email: 'admin@x.io', password: `wrong password ${i}` },
        localAddress: '127.0.0.5',
      });
      expect(wrong.status).toBe(401);
    }
    const blocked = await s.call('POST', '/api/agent/login', {
      body: { email: 'admin@x.io', password: PASSWORD },
      localAddress: '127.0.0.6',
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    s.clock.now += 15 * 60_000 + 1000;
    expect(
      (await s.call('POST', '/api/agent/login', { body: { email: 'admin@x.io', password: PASSWORD }, localAddress: '127.0.0.6' })).status,
    ).toBe(200);
  }, 60_000);

  it('answers 429 to an address that failed 10 times, whichever account it tries next', async () => {
    for (let i = 0; i < 10; i++) {
      const wrong = await s.call('POST', '/api/agent/login', {
        body: { email: `guess${i}@x.io`, password: 'nope nope nope' },
        localAddress: '127.0.0.7',
      });
      expect(wrong.status).toBe(401);
    }
    expect(
      (await s.call('POST', '/api/agent/login', { body: { email: 'bob@x.io', password: PASSWORD }, localAddress: '127.0.0.7' })).status,
    ).toBe(429);
    expect(
      (await s.call('POST', '/api/agent/login', { body: { email: 'bob@x.io', password: PASSWORD }, localAddress: '127.0.0.8' })).status,
    ).toBe(200);
  }, 60_000);
});

describe('same-origin JSON only', () => {
  it('refuses a cross-origin post, a form post and a text/plain post, even with a valid session', async () => {
    const cookie = await s.login('bob@x.io');
    const crossOrigin = await s.call('POST', '/api/agent/logout', { body: {}, cookie, headers: { Origin: 'https://evil.example' } });
    expect(crossOrigin.status).toBe(403);
    const form = await s.call('POST', '/api/agent/logout', {
      raw: 'a=1',
      cookie,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    const text = await s.call('POST', '/api/agent/login', {
      raw: JSON.stringify({ email: 'bob@x.io', password: PASSWORD }),
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    const site = await s.call('POST', '/api/agent/logout', { body: {}, cookie, headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(site.status).toBe(403);
    // None of them ended the session.
    expect((await s.call('GET', '/api/agent/me', { cookie })).status).toBe(200);
  });
});

describe('accounts and /admin', () => {
  it('lets the operator token and an admin account create accounts, not an agent', async () => {
    const byToken = await s.call('POST', '/api/agent/agents', {
      body: { email: 'cy@x.io', name: 'Cy', role: 'agent', projects: ['wk_b'], password: 'another long one' },
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(byToken.status).toBe(201);
    expect(byToken.body.agent).toMatchObject({ email: 'cy@x.io', projects: ['wk_b'] });
    const admin = await s.login('admin@x.io');
    const list = await s.call('GET', '/api/agent/agents', { cookie: admin });
    expect(list.body.agents.map((a: { email: string }) => a.email)).toContain('cy@x.io');
    const agent = await s.login('bob@x.io');
    expect((await s.call('GET', '/api/agent/agents', { cookie: agent })).status).toBe(403);
    const taken = await s.call('POST', '/api/agent/agents', {
      body: { email: 'cy@x.io', name: 'Cy', role: 'agent', password: 'another long one' },
      cookie: admin,
    });
    expect(taken.status).toBe(409);
  });

  it('opens the /admin API to an admin account’s session and names the account in the audit log', async () => {
    const admin = await s.login('admin@x.io');
    const created = await s.call('POST', '/api/admin/projects', { body: {}, cookie: admin });
    expect(created.status).toBe(201);
    const audit = await s.call('GET', `/api/admin/projects/${created.body.project.widgetKey}/audit`, { cookie: admin });
    expect(audit.body.audit[0].actor).toMatch(/^agent admin@x\.io from /);
    const agent = await s.login('bob@x.io');
    expect((await s.call('GET', '/api/admin/projects', { cookie: agent })).status).toBe(401);
  });
});

describe('/api/admin/session', () => {
  it('names an admin account’s session for the /admin page, and nobody otherwise', async () => {
    const admin = await s.login('admin@x.io');
    expect((await s.call('GET', '/api/admin/session', { cookie: admin })).body).toEqual({ account: 'agent admin@x.io' });
    const agent = await s.login('bob@x.io');
    expect((await s.call('GET', '/api/admin/session', { cookie: agent })).body).toEqual({ account: null });
    expect((await s.call('GET', '/api/admin/session')).body).toEqual({ account: null });
  });
});
