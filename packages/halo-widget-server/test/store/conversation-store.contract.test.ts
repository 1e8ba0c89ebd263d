// The ConversationStore contract, run against all three engines: memory, embedded (PGlite on
// disk) and PostgreSQL (a real throwaway cluster). Same behaviour everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../../../test/helpers/stores.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { chatOnce, texts } from './exchange-helpers.js';

const pg = usePostgres();
let counter = 0;
/** A project key of its own per test: the engines are shared by the tests of a file. */
const project = () => `ab_test_contract_${++counter}`;

describe.each(['memory', 'embedded', 'postgres'] as const)('the %s store', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await openEngine(name, () => pg.cluster);
  }, 60_000);
  afterAll(async () => {
    await engine?.close();
  });

  it('starts a conversation for a new identity, then continues it; finds it only with its project and owner', async () => {
    const p = project();
    const first = (await chatOnce(engine.store, p, 'user:alice', null, null, 'q1', 'a1'))!;
    expect(first.conversation).toEqual({ id: expect.stringMatching(/^conv_/), project: p, owner: 'user:alice' });
    const second = (await chatOnce(engine.store, p, 'user:alice', null, null, 'q2', 'a2'))!;
    expect(second.conversation).toEqual(first.conversation);
    expect(await engine.store.findConversation(p, 'user:alice', null)).toEqual(first.conversation);
    expect(await engine.store.findConversation(p, 'user:alice', first.conversation.id)).toEqual(first.conversation);
    expect(await engine.store.findConversation(p, 'visitor:alice', null)).toBeNull();
    expect(await engine.store.findConversation(p, 'user:thief', first.conversation.id)).toBeNull();
    expect(await engine.store.findConversation(project(), 'user:alice', first.conversation.id)).toBeNull();
  });

  it('refuses (null) a chat into another identity’s, another project’s or a missing conversation, without composing', async () => {
    const p = project();
    const { conversation } = (await chatOnce(engine.store, p, 'user:owner', null, null, 'q', 'a'))!;
    let composed = 0;
    const compose = async () => {
      composed++;
      return {
        message: { id: 'x1', text: 'x', created_at: new Date().toISOString() },
        reply: { id: 'x2', text: 'y', created_at: new Date().toISOString() },
      };
    };
    expect(await engine.store.chatExchange(p, 'user:thief', conversation.id, null, compose)).toBeNull();
    expect(await engine.store.chatExchange(p, 'visitor:owner', conversation.id, null, compose)).toBeNull();
    expect(await engine.store.chatExchange(project(), 'user:owner', conversation.id, null, compose)).toBeNull();
    expect(await engine.store.chatExchange(p, 'user:owner', 'conv_missing', null, compose)).toBeNull();
    expect(composed).toBe(0);
    expect(await engine.store.readMessages(project(), conversation.id, { limit: 10 })).toBeNull();
  });

  it('numbers messages 1, 2, 3 … and stores an exchange once per client_message_id', async () => {
    const p = project();
    const first = (await chatOnce(engine.store, p, 'visitor:v', null, 'cm-1', 'q1', 'a1'))!;
    const again = (await chatOnce(engine.store, p, 'visitor:v', null, 'cm-1', 'q2', 'a2'))!;
    expect(first.reply).toMatchObject({ text: 'a1', seq: 2, author: 'assistant', role: 'assistant', client_message_id: 'cm-1' });
    expect(again.reply).toEqual(first.reply);
    await chatOnce(engine.store, p, 'visitor:v', null, null, 'q3', 'a3');
    const page = (await engine.store.readMessages(p, first.conversation.id, { limit: 50 }))!;
    expect(page.messages.map((m) => [m.seq, m.author, m.text])).toEqual([
      [1, 'user', 'q1'],
      [2, 'assistant', 'a1'],
      [3, 'user', 'q3'],
      [4, 'assistant', 'a3'],
    ]);
    expect(page.has_more).toBe(false);
    expect((await engine.store.getSummary(p, first.conversation.id))!.last_seq).toBe(4);
  });

  it('stores a repeated client_message_id once when the repeats arrive at once', async () => {
    const p = project();
    const { conversation } = (await chatOnce(engine.store, p, 'visitor:v', null, null, 'q0', 'a0'))!;
    const replies = await Promise.all(
      Array.from(
        { length: 8 },
        async (_, i) => (await chatOnce(engine.store, p, 'visitor:v', conversation.id, 'cm-same', `q${i}`, `a${i}`))!.reply,
      ),
    );
    expect(new Set(replies.map((r) => r.id)).size).toBe(1);
    expect(await texts(engine.store, p, conversation.id)).toHaveLength(4);
  });

  it('keeps seqs gap-free and unique under concurrent writes to one conversation', async () => {
    const p = project();
    const { conversation } = (await chatOnce(engine.store, p, 'visitor:busy', null, null, 'q', 'a'))!;
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => chatOnce(engine.store, p, 'visitor:busy', conversation.id, `cm-${i}`, `q${i}`, `a${i}`)),
      ...Array.from({ length: 10 }, (_, i) =>
        engine.store.appendMessage(p, conversation.id, {
          author: 'agent',
          agent: { id: 'ag1', name: 'Ann' },
          text: `agent ${i}`,
          client_message_id: `ag-${i}`,
        }),
      ),
    ]);
    const page = (await engine.store.readMessages(p, conversation.id, { limit: 200 }))!;
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect((await engine.store.getSummary(p, conversation.id))!.last_seq).toBe(32);
  });

  it('pages back with before and forward with after, saying whether more remain', async () => {
    const p = project();
    let id = '';
    for (let i = 1; i <= 5; i++) id = (await chatOnce(engine.store, p, 'user:pager', null, null, `q${i}`, `a${i}`))!.conversation.id;
    const newest = (await engine.store.readMessages(p, id, { limit: 3 }))!;
    expect(newest.messages.map((m) => m.seq)).toEqual([8, 9, 10]);
    expect(newest.has_more).toBe(true);
    const older = (await engine.store.readMessages(p, id, { before: 8, limit: 5 }))!;
    expect(older.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6, 7]);
    expect(older.has_more).toBe(true);
    const oldest = (await engine.store.readMessages(p, id, { before: 3, limit: 5 }))!;
    expect(oldest).toMatchObject({
      messages: [
        { seq: 1, text: 'q1' },
        { seq: 2, text: 'a1' },
      ],
      has_more: false,
    });
    const after = (await engine.store.readMessages(p, id, { after: 6, limit: 3 }))!;
    expect(after.messages.map((m) => m.seq)).toEqual([7, 8, 9]);
    expect(after.has_more).toBe(true);
    expect((await engine.store.readMessages(p, id, { after: 10, limit: 3 }))!).toEqual({ messages: [], has_more: false });
  });

  it('keeps `unverified: true` on a message whose request was not verified, and adds nothing otherwise', async () => {
    const p = project();
    const { conversation } = (await chatOnce(engine.store, p, 'user:u', null, null, 'claimed', 'careful', { unverified: true }))!;
    await chatOnce(engine.store, p, 'user:u', null, null, 'proven', 'fine');
    const listed = (await engine.store.readMessages(p, conversation.id, { limit: 10 }))!.messages;
    expect(listed.map((m) => m.unverified)).toEqual([true, true, undefined, undefined]);
    expect(Object.keys(listed[2]!)).not.toContain('unverified');
  });

  it('appends AI and agent messages once per client_message_id; an agent’s clears needs_human', async () => {
    const p = project();
    const { conversation } = (await chatOnce(engine.store, p, 'user:help', null, null, 'help!', 'one moment'))!;
    await engine.store.updateConversation(p, conversation.id, { needs_human: true });
    const ai = await engine.store.appendMessage(p, conversation.id, {
      author: 'assistant',
      text: 'thinking',
      client_message_id: 'ai-1',
      usage: { prompt_tokens: 12, completion_tokens: 3 },
    });
    expect(ai).toMatchObject({ seq: 3, author: 'assistant', role: 'assistant', usage: { prompt_tokens: 12, completion_tokens: 3 } });
    expect((await engine.store.getSummary(p, conversation.id))!.needs_human).toBe(true);
    const agent = await engine.store.appendMessage(p, conversation.id, {
      author: 'agent',
      agent: { id: 'a-7', name: 'Ann' },
      text: 'hi, Ann here',
      client_message_id: 'ag-1',
    });
    expect(agent).toMatchObject({ seq: 4, author: 'agent', role: 'assistant', agent: { id: 'a-7', name: 'Ann' } });
    expect(await engine.store.appendMessage(p, conversation.id, { author: 'agent', text: 'again', client_message_id: 'ag-1' })).toEqual(
      agent,
    );
    const summary = (await engine.store.getSummary(p, conversation.id))!;
    expect(summary).toMatchObject({ needs_human: false, last_seq: 4, status: 'open', assignee: null });
    expect(summary.last_message_at).toBe(agent!.created_at);
    expect(
      await engine.store.appendMessage(project(), conversation.id, { author: 'agent', text: 'x', client_message_id: null }),
    ).toBeNull();
  });

  it('updates status, needs_human and assignee only in the conversation’s project', async () => {
    const p = project();
    const { conversation } = (await chatOnce(engine.store, p, 'user:s', null, null, 'q', 'a'))!;
    expect(await engine.store.updateConversation(project(), conversation.id, { status: 'resolved' })).toBeNull();
    const updated = await engine.store.updateConversation(p, conversation.id, { status: 'resolved', assignee: 'agent-1' });
    expect(updated).toMatchObject({
      id: conversation.id,
      project: p,
      owner: 'user:s',
      status: 'resolved',
      needs_human: false,
      assignee: 'agent-1',
    });
    expect(await engine.store.updateConversation(p, conversation.id, { assignee: null })).toMatchObject({
      status: 'resolved',
      assignee: null,
    });
  });

  it('announces every committed write: each stored message, then conversation updates', async () => {
    const p = project();
    const events: unknown[] = [];
    const stop = engine.store.notifier.subscribe((event) => {
      if ('project' in event && event.project === p) events.push(event);
    });
    const { conversation, reply } = (await chatOnce(engine.store, p, 'user:n', null, null, 'q', 'a'))!;
    await engine.store.updateConversation(p, conversation.id, { status: 'resolved' });
    await expect.poll(() => events.length, { timeout: 10_000 }).toBe(3);
    stop();
    const base = { project: p, conversation_id: conversation.id, owner: 'user:n' };
    expect(events).toEqual([
      { type: 'message.created', ...base, seq: 1, message_id: expect.any(String), author: 'user' },
      { type: 'message.created', ...base, seq: 2, message_id: reply.id, author: 'assistant' },
      { type: 'conversation.updated', ...base },
    ]);
  });

  it('refuses an exchange past the conversation’s caps and keeps what it has', async () => {
    const p = project();
    const capped = await openEngine(name, () => pg.cluster, { caps: { maxMessages: 4, maxBytes: 1000 } });
    try {
      const { conversation } = (await chatOnce(capped.store, p, 'user:full', null, null, 'q1', 'a1'))!;
      await chatOnce(capped.store, p, 'user:full', null, null, 'q2', 'a2');
      await expect(chatOnce(capped.store, p, 'user:full', null, null, 'q3', 'a3')).rejects.toMatchObject({
        name: 'ConversationFullError',
        cap: 'messages',
      });
      await expect(
        capped.store.appendMessage(p, conversation.id, { author: 'agent', text: 'x', client_message_id: null }),
      ).rejects.toMatchObject({
        cap: 'messages',
      });
      expect(await texts(capped.store, p, conversation.id)).toEqual(['q1', 'a1', 'q2', 'a2']);
      const other = (await chatOnce(capped.store, p, 'user:big', null, null, 'x'.repeat(400), 'ok'))!;
      await expect(chatOnce(capped.store, p, 'user:big', null, null, 'y'.repeat(600), 'ok')).rejects.toMatchObject({ cap: 'bytes' });
      expect(await texts(capped.store, p, other.conversation.id)).toHaveLength(2);
    } finally {
      await capped.close();
    }
  }, 60_000);

  it('keeps traits per project and owner, as the JSON object it was given, key order included', async () => {
    const p = project();
    const traits = { name: "Ann O'Neil", plan: { tier: 'pro', seats: 3 }, tags: ['a', "b'); --"], vip: true, note: null, '\\': '\\n' };
    await engine.store.setTraits(p, 'user:ann', traits);
    expect(await engine.store.getTraits(p, 'user:ann')).toEqual(traits);
    expect(await engine.store.getTraits(p, 'visitor:ann')).toEqual({});
    expect(await engine.store.getTraits(project(), 'user:ann')).toEqual({});
    await engine.store.setTraits(p, 'user:order', { zeta: 1, a: 2, plan: 3, mm: 4 });
    expect(Object.keys(await engine.store.getTraits(p, 'user:order'))).toEqual(['zeta', 'a', 'plan', 'mm']);
    let opened: Record<string, unknown> = {};
    await engine.store.chatExchange(p, 'user:order', null, null, async (opening) => {
      opened = opening.traits;
      return {
        message: { id: 'o1', text: 'q', created_at: new Date().toISOString() },
        reply: { id: 'o2', text: 'a', created_at: new Date().toISOString() },
      };
    });
    expect(Object.keys(opened)).toEqual(['zeta', 'a', 'plan', 'mm']);
  });

  it('keeps ids, texts and traits with U+0000 and lone surrogates apart and answerable', async () => {
    const p = project();
    const owners = ['user:a\u0000b', 'user:a\uFFFDb', 'user:\u0001x', 'user:\uD800'];
    const ids = [];
    for (const owner of owners) ids.push((await chatOnce(engine.store, p, owner, null, null, 'q', 'a'))!.conversation.id);
    expect(new Set(ids).size).toBe(owners.length);
    for (const [i, owner] of owners.entries()) {
      expect((await engine.store.findConversation(p, owner, null))?.owner).toBe(owner);
      expect((await engine.store.findConversation(p, owner, ids[i]!))?.id).toBe(ids[i]);
    }
    const id = ids[0]!;
    const first = (await chatOnce(engine.store, p, owners[0]!, id, 'cm\u0000', 'nul\u0000 and \uDC00', 'ok'))!;
    expect((await chatOnce(engine.store, p, owners[0]!, id, 'cm\u0000', 'again', 'no'))!.reply).toEqual(first.reply);
    expect(await texts(engine.store, p, id)).toHaveLength(4);
    await engine.store.setTraits(p, owners[0]!, { 'k\u0000': 'v\uD800' });
    expect(Object.keys(await engine.store.getTraits(p, owners[0]!))).toHaveLength(1);
  });
});
