// The agent API against a real server on each real store (memory, embedded PGlite, PostgreSQL),
// with conversations made through the SDK's own chat API: list with filters, search and keyset
// pagination; a conversation with its user panel; idempotent replies; status and assignee;
// project scoping (404 across projects); and the live stream of inbox events.
import { request } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useAgentServer } from '../../../../test/helpers/agent-http.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { createPgClient } from '../../src/store/sql-client.js';

const pg = usePostgres();

describe.each(['memory', 'embedded', 'postgres'] as const)('the agent API on the %s store', (engine) => {
  const s = useAgentServer({ engine, cluster: () => pg.cluster });
  let ann: string; // wk_a only
  let bob: string; // every project
  let alice: string;
  let visitor: string;
  let other: string; // wk_b

  beforeAll(async () => {
    alice = await s.chat({
      widget_key: 'wk_a',
      user_id: 'alice',
      user_token: await tokenFor('alice', { name: 'Alice Liddell', email: 'alice@corp.example', plan: 'pro', company_id: 'c_42' }),
      user_traits: { name: 'alice (browser)', theme: 'dark' },
      message: 'My invoice is wrong',
    });
    visitor = await s.chat({ widget_key: 'wk_a', visitor_id: 'v_123', message: 'Hello?' });
    other = await s.chat({ widget_key: 'wk_b', user_id: 'zed', user_token: await tokenFor('zed', { name: 'Zed' }), message: 'B project' });
    // A monitor-mode request without a token that claims to be alice.
    await s.chat({
      widget_key: 'wk_a',
      user_id: 'alice',
      conversation_id: alice,
      user_traits: { nickname: 'Mallory' },
      message: 'I am alice, trust me',
    });
    ann = await s.login('ann@x.io');
    bob = await s.login('bob@x.io');
  }, 60_000);

  const get = (path: string, cookie: string) => s.call('GET', path, { cookie });
  const post = (path: string, cookie: string, body: unknown) => s.call('POST', path, { cookie, body });

  describe('GET /api/agent/conversations', () => {
    it('lists newest activity first, with who the user is and whether it is verified', async () => {
      const { body } = await get('/api/agent/conversations', ann);
      expect(body.conversations.map((c: { id: string }) => c.id)).toEqual([alice, visitor]);
      expect(body.conversations[0]).toMatchObject({
        project: 'wk_a',
        status: 'open',
        // The AI answered the monitor-mode message: the list previews that reply.
        last_author: 'assistant',
        last_text: expect.stringMatching(/\S/),
        user: { user_id: 'alice', name: 'Alice Liddell', email: 'alice@corp.example', verified: true },
      });
      expect(body.conversations[1].user).toEqual({ owner: 'visitor:v_123', user_id: null, name: null, email: null, verified: false });
    });

    it('filters by project, status and verification, and searches by user id, name or email', async () => {
      const ids = async (query: string) =>
        (await get(`/api/agent/conversations?${query}`, bob)).body.conversations.map((c: { id: string }) => c.id);
      expect(await ids('widget_key=wk_b')).toEqual([other]);
      expect(await ids('verified=false')).toEqual([visitor]);
      expect(await ids('q=ALICE@corp')).toEqual([alice]);
      expect(await ids('q=zed')).toEqual([other]);
      expect(await ids('status=resolved')).toEqual([]);
      expect((await get('/api/agent/conversations?status=closed', bob)).status).toBe(400);
    });

    it('pages with the after cursor', async () => {
      const first = (await get('/api/agent/conversations?limit=2', bob)).body;
      expect(first.conversations).toHaveLength(2);
      const second = (await get(`/api/agent/conversations?limit=2&after=${encodeURIComponent(first.next)}`, bob)).body;
      expect([...first.conversations, ...second.conversations].map((c: { id: string }) => c.id)).toEqual([alice, other, visitor]);
      expect(second.next).toBeNull();
    });

    it('answers 400 to a cursor the store did not give', async () => {
      const bad = await get(`/api/agent/conversations?after=${Buffer.from('["x"]').toString('base64url')}`, bob);
      expect(bad.status).toBe(400);
      expect((await get('/api/agent/conversations?after=%25%25', bob)).status).toBe(400);
    });

    it('needs a session', async () => {
      expect((await s.call('GET', '/api/agent/conversations')).status).toBe(401);
    });
  });

  describe('a conversation', () => {
    it('shows every message with its author, marks the unverified one, and separates claims from traits', async () => {
      const { body } = await get(`/api/agent/conversations/${alice}`, ann);
      const users = body.messages.filter((m: { author: string }) => m.author === 'user');
      expect(users.map((m: { text: string; unverified?: true }) => [m.text, m.unverified ?? false])).toEqual([
        ['My invoice is wrong', false],
        ['I am alice, trust me', true],
      ]);
      expect(body.user.verified_claims).toMatchObject({ name: 'Alice Liddell', plan: 'pro', company_id: 'c_42' });
      expect(body.user.client_traits).toEqual({
        name: { value: 'alice (browser)', verified: true },
        theme: { value: 'dark', verified: true },
        nickname: { value: 'Mallory', verified: false },
      });
      expect(body.user.first_seen).toEqual(expect.any(String));
    });

    it('stores a reply once per client_message_id, authored by the agent', async () => {
      const reply = { text: 'Looking into it', client_message_id: 'cm-1' };
      const first = await post(`/api/agent/conversations/${alice}/messages`, ann, reply);
      expect(first.status).toBe(201);
      expect(first.body.message).toMatchObject({ author: 'agent', agent: { name: 'ann' }, text: 'Looking into it' });
      const again = await post(`/api/agent/conversations/${alice}/messages`, ann, reply);
      expect(again.body.message.id).toBe(first.body.message.id);
      const { body } = await get(`/api/agent/conversations/${alice}`, ann);
      expect(body.messages.filter((m: { author: string }) => m.author === 'agent')).toHaveLength(1);
      const listed = (await get('/api/agent/conversations', ann)).body.conversations[0];
      expect(listed).toMatchObject({ id: alice, last_author: 'agent', last_text: 'Looking into it' });
      expect((await post(`/api/agent/conversations/${alice}/messages`, ann, { text: 'no id' })).status).toBe(400);
      expect(
        (await post(`/api/agent/conversations/${alice}/messages`, ann, { text: 'x'.repeat(4001), client_message_id: 'cm-2' })).status,
      ).toBe(400);
    });

    it('resolves, reopens and assigns', async () => {
      const resolved = await post(`/api/agent/conversations/${visitor}/status`, ann, { status: 'resolved' });
      expect(resolved.body.conversation.status).toBe('resolved');
      const listed = (await get('/api/agent/conversations?status=resolved', ann)).body.conversations;
      expect(listed.map((c: { id: string }) => c.id)).toEqual([visitor]);
      expect((await post(`/api/agent/conversations/${visitor}/status`, ann, { status: 'open' })).body.conversation.status).toBe('open');
      const me = (await get('/api/agent/me', ann)).body.agent;
      expect((await post(`/api/agent/conversations/${visitor}/assignee`, ann, { assignee: 'me' })).body.conversation.assignee).toBe(me.id);
      expect((await post(`/api/agent/conversations/${visitor}/status`, ann, { status: 'closed' })).status).toBe(400);
    });
  });

  describe('project scoping', () => {
    it('answers 404 for every route of another project’s conversation', async () => {
      expect((await get(`/api/agent/conversations/${other}`, ann)).status).toBe(404);
      expect((await post(`/api/agent/conversations/${other}/messages`, ann, { text: 'hi', client_message_id: 'x' })).status).toBe(404);
      expect((await post(`/api/agent/conversations/${other}/status`, ann, { status: 'resolved' })).status).toBe(404);
      expect((await post(`/api/agent/conversations/${other}/assignee`, ann, { assignee: 'me' })).status).toBe(404);
      expect((await get('/api/agent/conversations?widget_key=wk_b', ann)).body.conversations).toEqual([]);
      expect((await get(`/api/agent/conversations/${other}`, bob)).status).toBe(200);
      expect((await get('/api/agent/conversations/conv_nope', bob)).status).toBe(404);
    });
  });

  describe('GET /api/agent/events', () => {
    it('streams the events of the agent’s projects only', async () => {
      const events: string[] = [];
      const req = request(`${s.url}/api/agent/events`, { headers: { Cookie: ann } });
      const opened = new Promise<void>((resolve) =>
        req.on('response', (res) => {
          expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => events.push(chunk));
          resolve();
        }),
      );
      req.end();
      await opened;
      await s.chat({
        widget_key: 'wk_b',
        user_id: 'zed',
        user_token: await tokenFor('zed'),
        conversation_id: other,
        message: 'not for ann',
      });
      await post(`/api/agent/conversations/${alice}/messages`, bob, { text: 'from bob', client_message_id: 'cm-bob' });
      await expect.poll(() => events.join('')).toContain('event: message.created');
      req.destroy();
      const text = events.join('');
      expect(text).toContain(alice);
      expect(text).not.toContain(other);
    });
  });

  describe('the event stream after the store’s listener reconnected', () => {
    it.runIf(engine === 'postgres')(
      'sends resync to every stream, whatever its projects, so the page reloads',
      async () => {
        const events: string[] = [];
        const req = request(`${s.url}/api/agent/events`, { headers: { Cookie: ann } });
        const opened = new Promise<void>((resolve) =>
          req.on('response', (res) => {
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => events.push(chunk));
            resolve();
          }),
        );
        req.end();
        await opened;
        const admin = await createPgClient({ connectionString: pg.cluster.url, max: 1 });
        try {
          await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where query = 'listen halo_events'");
        } finally {
          await admin.close();
        }
        await expect.poll(() => events.join(''), { timeout: 15_000 }).toContain('event: resync');
        req.destroy();
      },
      30_000,
    );
  });

  describe('the event stream and logout', () => {
    it('ends the session’s stream when the session logs out', async () => {
      const cookie = await s.login('ann@x.io');
      const ended = new Promise<string>((resolve) => {
        const req = request(`${s.url}/api/agent/events`, { headers: { Cookie: cookie } });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve('ended'));
          void s.call('POST', '/api/agent/logout', { body: {}, cookie });
        });
        req.end();
      });
      expect(await ended).toBe('ended');
    });
  });
});
