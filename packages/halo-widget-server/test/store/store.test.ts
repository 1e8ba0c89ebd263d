// The in-memory ConversationStore: scoping, idempotent exchanges, traits, bounds.
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/index.js';
import { newId } from '../../src/store/store.js';
import { chatOnce, texts } from './exchange-helpers.js';

describe('createMemoryStore', () => {
  it('finds a conversation only with its project and owner', async () => {
    const store = createMemoryStore();
    const { conversation } = (await chatOnce(store, 'ab_test_a', 'user:alice', null, null, 'q', 'a'))!;
    expect(await store.findConversation('ab_test_a', 'user:alice', conversation.id)).toEqual(conversation);
    expect(await store.findConversation('ab_test_a', 'user:alice', null)).toEqual(conversation);
    expect(await store.findConversation('ab_test_b', 'user:alice', conversation.id)).toBeNull();
    expect(await store.findConversation('ab_test_a', 'user:bob', conversation.id)).toBeNull();
    expect(await store.readMessages('ab_test_b', conversation.id, { limit: 10 })).toBeNull();
  });

  it('stores an exchange once per client_message_id and hands back the first reply', async () => {
    const store = createMemoryStore();
    const first = (await chatOnce(store, 'p', 'visitor:v', null, 'cm-1', 'q1', 'a1'))!;
    const again = (await chatOnce(store, 'p', 'visitor:v', null, 'cm-1', 'q2', 'a2'))!;
    expect(first.reply).toMatchObject({ text: 'a1', seq: 2, author: 'assistant', role: 'assistant' });
    expect(again.reply).toEqual(first.reply);
    await chatOnce(store, 'p', 'visitor:v', null, null, 'q3', 'a3');
    expect(await texts(store, 'p', first.conversation.id)).toEqual(['q1', 'a1', 'q3', 'a3']);
  });

  it('gives conversations conv_ ids with a random UUID v4, all different', async () => {
    const store = createMemoryStore();
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) ids.add((await chatOnce(store, 'p', `user:${i}`, null, null, 'q', 'a'))!.conversation.id);
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^conv_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('newId refuses a prefix too long for its buffer instead of cutting the id short', () => {
    expect(newId('x'.repeat(27))).toMatch(/^x{27}_[0-9a-f-]{36}$/);
    expect(() => newId('x'.repeat(28))).toThrow(RangeError);
  });

  it('returns copies, so a caller cannot change what is stored', async () => {
    const store = createMemoryStore();
    const { conversation } = (await chatOnce(store, 'p', 'visitor:v', null, null, 'q', 'a'))!;
    const page = (await store.readMessages('p', conversation.id, { limit: 10 }))!;
    page.messages[0]!.text = 'sneaky';
    expect(await texts(store, 'p', conversation.id)).toEqual(['q', 'a']);
    await store.setTraits('p', 'user:a', { name: 'A' });
    (await store.getTraits('p', 'user:a')).name = 'B';
    expect(await store.getTraits('p', 'user:a')).toEqual({ name: 'A' });
    expect(await store.getTraits('p', 'visitor:a')).toEqual({});
  });
});

describe('createMemoryStore bounds', () => {
  it('forgets the least recently used conversation past maxConversations', async () => {
    const store = createMemoryStore({ maxConversations: 2 });
    const a = (await chatOnce(store, 'p', 'user:a', null, null, 'q', 'a'))!.conversation;
    const b = (await chatOnce(store, 'p', 'user:b', null, null, 'q', 'a'))!.conversation;
    await store.findConversation('p', 'user:a', a.id); // a is now more recent than b
    const c = (await chatOnce(store, 'p', 'user:c', null, null, 'q', 'a'))!.conversation;
    expect(await store.findConversation('p', 'user:b', b.id)).toBeNull();
    expect(await store.findConversation('p', 'user:a', a.id)).toEqual(a);
    expect(await store.findConversation('p', 'user:c', c.id)).toEqual(c);
    // b's identity starts afresh on its next chat.
    expect(await store.findConversation('p', 'user:b', null)).toBeNull();
  });

  it('forgets the least recently used identity’s traits past maxIdentities', async () => {
    const store = createMemoryStore({ maxIdentities: 2 });
    await store.setTraits('p', 'user:a', { n: 1 });
    await store.setTraits('p', 'user:b', { n: 2 });
    await store.setTraits('p', 'user:a', { n: 3 });
    await store.setTraits('p', 'user:c', { n: 4 });
    expect(await store.getTraits('p', 'user:b')).toEqual({});
    expect(await store.getTraits('p', 'user:a')).toEqual({ n: 3 });
    expect(await store.getTraits('p', 'user:c')).toEqual({ n: 4 });
  });

  it('keeps at most maxMessages: older conversations go first, then a conversation’s oldest messages', async () => {
    const store = createMemoryStore({ maxMessages: 4 });
    const old = (await chatOnce(store, 'p', 'user:old', null, 'cm-o1', 'o1', 'r-o1'))!.conversation;
    let busy = '';
    for (const n of [1, 2]) busy = (await chatOnce(store, 'p', 'user:busy', null, `cm-${n}`, `b${n}`, `r-b${n}`))!.conversation.id;
    expect(await store.findConversation('p', 'user:old', old.id)).toBeNull();
    await chatOnce(store, 'p', 'user:busy', null, 'cm-3', 'b3', 'r-b3');
    expect(await texts(store, 'p', busy)).toEqual(['b2', 'r-b2', 'b3', 'r-b3']);
    const page = (await store.readMessages('p', busy, { limit: 10 }))!;
    // The seqs stay those the messages were stored at: the dropped ones are not renumbered.
    expect(page.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    expect(page.has_more).toBe(false);
    // The dropped exchange's client_message_id is forgotten with it: a retry of it is stored anew.
    expect((await chatOnce(store, 'p', 'user:busy', null, 'cm-2', 'x', 'y'))!.reply.text).toBe('r-b2');
  });

  it('stays within its bounds however many identities write to it', async () => {
    const store = createMemoryStore({ maxConversations: 50, maxIdentities: 50, maxMessages: 200 });
    for (let i = 0; i < 5000; i++) {
      await store.setTraits('p', `visitor:${i}`, { i });
      await chatOnce(store, 'p', `visitor:${i}`, null, `cm-${i}`, `q${i}`, `a${i}`);
    }
    let conversations = 0;
    let messages = 0;
    let traits = 0;
    for (let i = 0; i < 5000; i++) {
      const latest = await store.findConversation('p', `visitor:${i}`, null);
      if (latest) {
        conversations++;
        messages += (await texts(store, 'p', latest.id)).length;
      }
      if (Object.keys(await store.getTraits('p', `visitor:${i}`)).length) traits++;
    }
    expect(conversations).toBeLessThanOrEqual(50);
    expect(messages).toBeLessThanOrEqual(200);
    expect(traits).toBeLessThanOrEqual(50);
    expect(conversations).toBeGreaterThan(0);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => createMemoryStore({ maxMessages: 0 })).toThrow(/maxMessages/);
    expect(() => createMemoryStore({ maxConversations: 1.5 })).toThrow(/maxConversations/);
  });
});
