// The ConversationStore contract, run against all three engines: memory, embedded (PGlite on
// disk) and PostgreSQL (a real throwaway cluster). Same behaviour everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/index.js';
import { openEngine, type Engine } from '../../../../test/helpers/stores.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';

const pg = usePostgres();
let counter = 0;
/** A project key of its own per test: the engines are shared by the tests of a file. */
const project = () => `ab_test_contract_${++counter}`;

const msg = (
  conversation: string,
  role: 'user' | 'assistant',
  text: string,
  extra: Partial<StoredMessage> & { unverified?: true } = {},
): StoredMessage => ({
  id: `msg_${text}_${counter}`,
  conversation_id: conversation,
  role,
  text,
  created_at: '2026-12-01T10:00:00.000Z',
  ...extra,
});

describe.each(['memory', 'embedded', 'postgres'] as const)('the %s store', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await openEngine(name, () => pg.cluster);
  }, 60_000);
  afterAll(async () => {
    await engine?.close();
  });

  it('finds a conversation only within its project', async () => {
    const [p, other] = [project(), project()];
    const conversation = await engine.store.createConversation(p, 'user:alice');
    expect(await engine.store.getConversation(p, conversation.id)).toEqual(conversation);
    expect(await engine.store.getConversation(other, conversation.id)).toBeNull();
    expect(await engine.store.getConversation(p, 'conv_missing')).toBeNull();
  });

  it('keeps the latest conversation per project and owner', async () => {
    const p = project();
    const first = await engine.store.createConversation(p, 'user:alice');
    expect(await engine.store.latestConversation(p, 'user:alice')).toEqual(first);
    expect(await engine.store.latestConversation(p, 'visitor:alice')).toBeNull();
    const second = await engine.store.createConversation(p, 'user:alice');
    expect((await engine.store.latestConversation(p, 'user:alice'))?.id).toBe(second.id);
  });

  it('stores an exchange once per client_message_id and hands back the first reply', async () => {
    const { id } = await engine.store.createConversation(project(), 'visitor:v');
    const first = await engine.store.appendExchange(id, msg(id, 'user', 'q1'), msg(id, 'assistant', 'a1'), 'cm-1');
    const again = await engine.store.appendExchange(id, msg(id, 'user', 'q2'), msg(id, 'assistant', 'a2'), 'cm-1');
    expect(first).toMatchObject({ id: `msg_a1_${counter}`, text: 'a1', role: 'assistant', conversation_id: id });
    expect(again).toEqual(first);
    expect((await engine.store.listMessages(id)).map((m) => m.text)).toEqual(['q1', 'a1']);
    expect(await engine.store.findReply(id, 'cm-1')).toEqual(first);
    expect(await engine.store.findReply(id, 'cm-2')).toBeNull();
    await engine.store.appendExchange(id, msg(id, 'user', 'q3'), msg(id, 'assistant', 'a3'), null);
    await engine.store.appendExchange(id, msg(id, 'user', 'q4'), msg(id, 'assistant', 'a4'), null);
    expect((await engine.store.listMessages(id)).map((m) => m.text)).toEqual(['q1', 'a1', 'q3', 'a3', 'q4', 'a4']);
  });

  it('lists messages exactly as they were handed over, oldest first', async () => {
    const { id } = await engine.store.createConversation(project(), 'visitor:v');
    const question = msg(id, 'user', `héllo 👋 "quoted" \\ back, it's '); drop table exchanges; --`);
    const reply = msg(id, 'assistant', 'ok');
    await engine.store.appendExchange(id, question, reply, 'cm');
    expect(await engine.store.listMessages(id)).toEqual([question, reply]);
  });

  it('stores a repeated client_message_id once when the repeats arrive at once', async () => {
    const { id } = await engine.store.createConversation(project(), 'visitor:v');
    const replies = await Promise.all(
      Array.from({ length: 8 }, async (_, i) =>
        engine.store.appendExchange(id, msg(id, 'user', `q${i}`), msg(id, 'assistant', `a${i}`), 'cm-same'),
      ),
    );
    expect(new Set(replies.map((r) => r.id)).size).toBe(1);
    expect(await engine.store.listMessages(id)).toHaveLength(2);
  });

  it('keeps `unverified: true` on a message whose request was not verified, and adds nothing otherwise', async () => {
    const { id } = await engine.store.createConversation(project(), 'user:u');
    const question = msg(id, 'user', 'claimed', { unverified: true });
    const reply = msg(id, 'assistant', 'careful', { unverified: true });
    await engine.store.appendExchange(id, question, reply, null);
    await engine.store.appendExchange(id, msg(id, 'user', 'proven'), msg(id, 'assistant', 'fine'), null);
    const listed = await engine.store.listMessages(id);
    expect(listed.map((m) => (m as { unverified?: true }).unverified)).toEqual([true, true, undefined, undefined]);
    expect(Object.keys(listed[2]!)).not.toContain('unverified');
  });

  it('keeps traits per project and owner, as the JSON object it was given', async () => {
    const p = project();
    const traits = { name: "Ann O'Neil", plan: { tier: 'pro', seats: 3 }, tags: ['a', "b'); --"], vip: true, note: null, '\\': '\\n' };
    await engine.store.setTraits(p, 'user:ann', traits);
    expect(await engine.store.getTraits(p, 'user:ann')).toEqual(traits);
    expect(await engine.store.getTraits(p, 'visitor:ann')).toEqual({});
    expect(await engine.store.getTraits(project(), 'user:ann')).toEqual({});
    await engine.store.setTraits(p, 'user:ann', { name: 'Anne' });
    expect(await engine.store.getTraits(p, 'user:ann')).toEqual({ name: 'Anne' });
  });

  it('keeps the traits’ key order, which the API uses as the order they were last sent in', async () => {
    const p = project();
    await engine.store.setTraits(p, 'user:order', { zeta: 1, a: 2, plan: 3, mm: 4 });
    expect(Object.keys(await engine.store.getTraits(p, 'user:order'))).toEqual(['zeta', 'a', 'plan', 'mm']);
    const opened = await engine.store.openChat!(p, 'user:order', null, null);
    expect(Object.keys(opened!.traits)).toEqual(['zeta', 'a', 'plan', 'mm']);
  });

  it('returns copies, so a caller cannot change what is stored', async () => {
    const p = project();
    const { id } = await engine.store.createConversation(p, 'visitor:v');
    (await engine.store.listMessages(id)).push(msg(id, 'user', 'sneaky'));
    expect(await engine.store.listMessages(id)).toEqual([]);
    await engine.store.setTraits(p, 'user:a', { name: 'A' });
    (await engine.store.getTraits(p, 'user:a')).name = 'B';
    expect(await engine.store.getTraits(p, 'user:a')).toEqual({ name: 'A' });
  });

  describe('openChat', () => {
    it('starts a conversation for a new identity, then continues it', async () => {
      const p = project();
      const opened = await engine.store.openChat!(p, 'user:new', null, 'cm-1');
      expect(opened).toMatchObject({ conversation: { project: p, owner: 'user:new' }, earlier: null, traits: {} });
      expect(opened!.conversation.id).toMatch(/^conv_/);
      const again = await engine.store.openChat!(p, 'user:new', null, null);
      expect(again!.conversation).toEqual(opened!.conversation);
      expect(await engine.store.latestConversation(p, 'user:new')).toEqual(opened!.conversation);
    });

    it('hands back the earlier reply of a client_message_id and the stored traits', async () => {
      const p = project();
      await engine.store.setTraits(p, 'user:t', { name: 'T' });
      const { conversation } = (await engine.store.openChat!(p, 'user:t', null, null))!;
      const reply = await engine.store.appendExchange(
        conversation.id,
        msg(conversation.id, 'user', 'q'),
        msg(conversation.id, 'assistant', 'a'),
        'cm-x',
      );
      const latest = await engine.store.openChat!(p, 'user:t', null, 'cm-x');
      expect(latest).toEqual({ conversation, earlier: reply, traits: { name: 'T' } });
      const named = await engine.store.openChat!(p, 'user:t', conversation.id, 'cm-x');
      expect(named).toEqual({ conversation, earlier: reply, traits: { name: 'T' } });
    });

    it('finds nothing for another identity’s, another project’s or a missing conversation', async () => {
      const p = project();
      const { conversation } = (await engine.store.openChat!(p, 'user:owner', null, null))!;
      expect(await engine.store.openChat!(p, 'user:thief', conversation.id, null)).toBeNull();
      expect(await engine.store.openChat!(p, 'visitor:owner', conversation.id, null)).toBeNull();
      expect(await engine.store.openChat!(project(), 'user:owner', conversation.id, null)).toBeNull();
      expect(await engine.store.openChat!(p, 'user:owner', 'conv_missing', null)).toBeNull();
    });

    it('gives two first messages of one identity arriving at once the same conversation', async () => {
      const p = project();
      const opened = await Promise.all(Array.from({ length: 6 }, async () => engine.store.openChat!(p, 'visitor:racer', null, null)));
      expect(new Set(opened.map((o) => o!.conversation.id)).size).toBe(1);
    });
  });

  it('keeps ids, texts and traits with U+0000 and lone surrogates apart and answerable', async () => {
    const p = project();
    const owners = ['user:a\u0000b', 'user:a\uFFFDb', 'user:\u0001x', 'user:\uD800'];
    const ids = [];
    for (const owner of owners) ids.push((await engine.store.openChat!(p, owner, null, null))!.conversation.id);
    expect(new Set(ids).size).toBe(owners.length);
    for (const [i, owner] of owners.entries()) {
      expect((await engine.store.latestConversation(p, owner))?.owner).toBe(owner);
      expect((await engine.store.openChat!(p, owner, ids[i]!, null))?.conversation.id).toBe(ids[i]);
    }
    const id = ids[0]!;
    await engine.store.appendExchange(id, msg(id, 'user', 'nul\u0000 and \uDC00'), msg(id, 'assistant', 'ok'), 'cm\u0000');
    expect(await engine.store.findReply(id, 'cm\u0000')).not.toBeNull();
    expect(await engine.store.listMessages(id)).toHaveLength(2);
    await engine.store.setTraits(p, owners[0]!, { 'k\u0000': 'v\uD800' });
    expect(Object.keys(await engine.store.getTraits(p, owners[0]!))).toHaveLength(1);
  });
});
