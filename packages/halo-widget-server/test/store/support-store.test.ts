// The support side on a real PostgreSQL cluster (and the other engines where it is the same
// contract): a database from before the messages table keeps its history, a write through one
// instance is announced on another (also after the listening connection was lost), and the
// inbox lists, filters, searches and pages conversations with who their users are.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type StoreEvent } from '../../src/index.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/schema.js';
import { createPgClient, type SqlClient } from '../../src/store/sql-client.js';
import type { SqlConversationStore } from '../../src/store/sql-store.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { openEngine, type Engine } from '../../../../test/helpers/stores.js';
import { chatOnce } from './exchange-helpers.js';

const pg = usePostgres();
const closing: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closing.reverse()) await close();
});

describe('migration 3 on a database with stored exchanges', () => {
  it('moves every exchange into two messages numbered in order, and the conversation keeps its last seq and time', async () => {
    const client: SqlClient = await createPgClient({ connectionString: await pg.cluster.createDatabase('old_history'), max: 2 });
    await migrate(
      client,
      MIGRATIONS.filter((m) => m.version < 3),
    );
    await client.exec(`
      insert into conversations (id, project, owner, created_at) values ('conv_old', 'p', 'user:old', '2026-01-01T00:00:00Z');
      insert into identities (project, owner, latest_conversation_id, traits) values ('p', 'user:old', 'conv_old', '{"name":{"value":"Olga","verified":false,"at":1}}');
      insert into exchanges (conversation_id, client_message_id, message_id, message_text, verified, reply_id, reply_text, reply_verified, created_at)
      values ('conv_old', 'cm-1', 'm1', 'first?', true, 'r1', 'first!', true, '2026-01-01T00:01:00Z'),
             ('conv_old', null, 'm2', 'second?', false, 'r2', 'second!', false, '2026-01-01T00:02:00Z');`);
    await migrate(client);
    const store = await createPostgresStore({ client });
    closing.push(() => store.close());
    const page = (await store.readMessages('p', 'conv_old', { limit: 10 }))!;
    expect(page.messages.map((m) => [m.seq, m.id, m.author, m.text, m.unverified ?? false])).toEqual([
      [1, 'm1', 'user', 'first?', false],
      [2, 'r1', 'assistant', 'first!', false],
      [3, 'm2', 'user', 'second?', true],
      [4, 'r2', 'assistant', 'second!', true],
    ]);
    expect(await store.getSummary('p', 'conv_old')).toMatchObject({
      last_seq: 4,
      status: 'open',
      needs_human: false,
      last_message_at: '2026-01-01T00:02:00.000Z',
    });
    // A retry of a migrated exchange still finds its reply; the next exchange continues at seq 5.
    expect((await chatOnce(store, 'p', 'user:old', null, 'cm-1', 'again', 'no'))!.reply).toMatchObject({ id: 'r1', seq: 2 });
    expect((await chatOnce(store, 'p', 'user:old', null, null, 'third?', 'third!'))!.reply.seq).toBe(6);
    expect(await store.getUserPanel('p', 'user:old')).toMatchObject({ first_seen: '2026-01-01T00:00:00.000Z', verified_claims: null });
  }, 60_000);
});

describe('events across instances on one PostgreSQL database', () => {
  let a: SqlConversationStore;
  let b: SqlConversationStore;
  beforeAll(async () => {
    const url = await pg.cluster.createDatabase('events');
    a = await createPostgresStore({ connectionString: url, max: 3 });
    b = await createPostgresStore({ connectionString: url, max: 3 });
    closing.push(
      () => a.close(),
      () => b.close(),
    );
  }, 60_000);

  const heard = (store: SqlConversationStore) => {
    const events: StoreEvent[] = [];
    const stop = store.notifier.subscribe((event) => events.push(event));
    closing.push(async () => stop());
    return events;
  };

  it('announces on B a chat, an agent message and an update written through A', async () => {
    const onB = heard(b);
    const { conversation } = (await chatOnce(a, 'p-ev', 'user:e', null, null, 'q', 'a'))!;
    const agent = (await a.appendMessage('p-ev', conversation.id, {
      author: 'agent',
      agent: { id: 'x', name: 'X' },
      text: 'hi',
      client_message_id: null,
    }))!;
    await a.updateConversation('p-ev', conversation.id, { status: 'resolved' });
    const base = { project: 'p-ev', conversation_id: conversation.id, owner: 'user:e' };
    await expect.poll(() => onB.length, { timeout: 10_000 }).toBe(4);
    expect(onB).toEqual([
      { type: 'message.created', ...base, seq: 1, message_id: expect.any(String), author: 'user' },
      { type: 'message.created', ...base, seq: 2, message_id: expect.any(String), author: 'assistant' },
      { type: 'message.created', ...base, seq: 3, message_id: agent.id, author: 'agent' },
      { type: 'conversation.updated', ...base },
    ]);
  });

  it('listens again after its connection is lost, says so (resync), and hears later writes', async () => {
    const onB = heard(b);
    const admin = await createPgClient({ connectionString: pg.cluster.url, max: 1 });
    closing.push(() => admin.close());
    const { rows } = await admin.query<{ n: number }>(
      "select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where query = 'listen halo_events' and datname = 'events'",
    );
    expect(rows[0]!.n).toBe(2);
    await expect.poll(() => onB.filter((e) => e.type === 'resync').length, { timeout: 15_000 }).toBe(1);
    const { conversation } = (await chatOnce(a, 'p-ev', 'user:after', null, null, 'q', 'a'))!;
    await expect
      .poll(() => onB.filter((e) => 'conversation_id' in e && e.conversation_id === conversation.id).length, { timeout: 10_000 })
      .toBe(2);
  }, 30_000);
});

describe.each(['memory', 'embedded', 'postgres'] as const)('the inbox on the %s store', (name) => {
  let engine: Engine;
  const P = 'p-inbox';
  beforeAll(async () => {
    engine = await openEngine(name, () => pg.cluster);
    const store = engine.store;
    await store.setTraits(P, 'user:ann', {
      name: { value: 'Ann Client', verified: false, at: 1 },
      email: { value: 'ann@client.example', verified: false, at: 1 },
    });
    await chatOnce(store, P, 'user:ann', null, null, 'one', 'r');
    // Activity in distinct milliseconds, so the order by last_message_at is the order written.
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    await tick();
    await store.setVerifiedClaims(P, 'user:bob', { name: 'Bob Verified', email: 'BOB@corp.example', plan: 'pro' });
    const bob = (await chatOnce(store, P, 'user:bob', null, null, 'two', 'r'))!;
    await tick();
    await chatOnce(store, P, 'visitor:v-1', null, null, 'three', 'r');
    await chatOnce(store, 'p-elsewhere', 'user:ann', null, null, 'hidden', 'r');
    await store.updateConversation(P, bob.conversation.id, { status: 'resolved' });
  }, 60_000);
  afterAll(async () => {
    await engine?.close();
  });

  it('lists the allowed projects’ conversations, newest activity first, with who each user is', async () => {
    const page = await engine.store.listConversations({ projects: [P] });
    expect(page.next).toBeNull();
    expect(page.conversations.map((c) => c.owner)).toEqual(['visitor:v-1', 'user:bob', 'user:ann']);
    expect(page.conversations[1]!.user).toEqual({
      owner: 'user:bob',
      user_id: 'bob',
      name: 'Bob Verified',
      email: 'BOB@corp.example',
      verified: true,
    });
    expect(page.conversations[2]!.user).toEqual({
      owner: 'user:ann',
      user_id: 'ann',
      name: 'Ann Client',
      email: 'ann@client.example',
      verified: false,
    });
    expect(page.conversations[0]!.user).toMatchObject({ user_id: null, name: null, verified: false });
    // The last message for the preview and "unread": here the reply to each user's message.
    expect(page.conversations.map((c) => [c.last_author, c.last_text])).toEqual([
      ['assistant', 'r'],
      ['assistant', 'r'],
      ['assistant', 'r'],
    ]);
    expect((await engine.store.listConversations({ projects: [] })).conversations).toEqual([]);
  });

  it('filters by status and verified, and searches user id, name and email case-insensitively', async () => {
    const owners = async (query: object) =>
      (await engine.store.listConversations({ projects: [P], ...query })).conversations.map((c) => c.owner);
    expect(await owners({ status: 'resolved' })).toEqual(['user:bob']);
    expect(await owners({ status: 'open' })).toEqual(['visitor:v-1', 'user:ann']);
    expect(await owners({ verified: true })).toEqual(['user:bob']);
    expect(await owners({ q: 'bob@CORP' })).toEqual(['user:bob']);
    expect(await owners({ q: 'client' })).toEqual(['user:ann']);
    expect(await owners({ q: 'v-1' })).toEqual(['visitor:v-1']);
    expect(await owners({ q: '%' })).toEqual([]);
  });

  it('pages with a keyset cursor without repeating or skipping', async () => {
    const first = await engine.store.listConversations({ projects: [P], limit: 2 });
    expect(first.conversations.map((c) => c.owner)).toEqual(['visitor:v-1', 'user:bob']);
    const second = await engine.store.listConversations({ projects: [P], limit: 2, after: first.next! });
    expect(second.conversations.map((c) => c.owner)).toEqual(['user:ann']);
    expect(second.next).toBeNull();
    await expect(engine.store.listConversations({ projects: [P], after: 'nonsense' })).rejects.toThrow(TypeError);
  });

  it('shows the user panel: verified claims, client traits with their marks, first and last seen', async () => {
    const bob = await engine.store.getUserPanel(P, 'user:bob');
    expect(bob).toMatchObject({
      project: P,
      owner: 'user:bob',
      verified_claims: { name: 'Bob Verified', email: 'BOB@corp.example', plan: 'pro' },
      verified_claims_at: expect.any(String),
      client_traits: {},
    });
    expect(Date.parse(bob!.last_seen!)).toBeGreaterThanOrEqual(Date.parse(bob!.first_seen!));
    const ann = await engine.store.getUserPanel(P, 'user:ann');
    expect(ann).toMatchObject({ verified_claims: null, client_traits: { name: { value: 'Ann Client', verified: false } } });
    expect(await engine.store.getUserPanel(P, 'user:nobody')).toBeNull();
  });

  it('previews the last message (its first 200 characters) and says who wrote it', async () => {
    const ann = (await engine.store.listConversations({ projects: [P], q: 'ann' })).conversations[0]!;
    const long = `${'é'.repeat(150)}${'😀'.repeat(100)}`;
    await engine.store.appendMessage(P, ann.id, {
      author: 'agent',
      agent: { id: 'a1', name: 'Ann Agent' },
      text: long,
      client_message_id: 'cm-long',
    });
    const listed = (await engine.store.listConversations({ projects: [P] })).conversations[0]!;
    expect(listed).toMatchObject({ id: ann.id, last_author: 'agent', last_text: `${'é'.repeat(150)}${'😀'.repeat(50)}` });
  });

  it('locates a conversation by id among the given projects only', async () => {
    const ann = (await engine.store.listConversations({ projects: [P], q: 'ann' })).conversations[0]!;
    expect(await engine.store.locateConversation(['p-elsewhere', P], ann.id)).toMatchObject({ id: ann.id, project: P, owner: 'user:ann' });
    expect(await engine.store.locateConversation(['p-elsewhere'], ann.id)).toBeNull();
    expect(await engine.store.locateConversation([], ann.id)).toBeNull();
    expect(await engine.store.locateConversation([P], 'conv_nope')).toBeNull();
  });
});
