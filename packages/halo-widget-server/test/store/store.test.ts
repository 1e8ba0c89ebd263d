// The in-memory ConversationStore: scoping, idempotent exchanges, traits.
import { describe, expect, it } from 'vitest';
import { createMemoryStore, type StoredMessage } from '../../src/index.js';
import { newId } from '../../src/store/store.js';

const message = (conversation: string, role: 'user' | 'assistant', text: string): StoredMessage => ({
  id: `msg_${text}`,
  conversation_id: conversation,
  role,
  text,
  created_at: new Date(0).toISOString(),
});

describe('createMemoryStore', () => {
  it('finds a conversation only within its project', async () => {
    const store = createMemoryStore();
    const conversation = await store.createConversation('ab_test_a', 'user:alice');
    expect(await store.getConversation('ab_test_a', conversation.id)).toEqual(conversation);
    expect(await store.getConversation('ab_test_b', conversation.id)).toBeNull();
  });

  it('keeps the latest conversation per project and owner', async () => {
    const store = createMemoryStore();
    const first = await store.createConversation('p', 'user:alice');
    expect(await store.latestConversation('p', 'user:alice')).toEqual(first);
    expect(await store.latestConversation('p', 'visitor:alice')).toBeNull();
    const second = await store.createConversation('p', 'user:alice');
    expect((await store.latestConversation('p', 'user:alice'))?.id).toBe(second.id);
  });

  it('stores an exchange once per client_message_id and hands back the first reply', async () => {
    const store = createMemoryStore();
    const { id } = await store.createConversation('p', 'visitor:v');
    const first = await store.appendExchange(id, message(id, 'user', 'q1'), message(id, 'assistant', 'a1'), 'cm-1');
    const again = await store.appendExchange(id, message(id, 'user', 'q2'), message(id, 'assistant', 'a2'), 'cm-1');
    expect(first.text).toBe('a1');
    expect(again.text).toBe('a1');
    expect((await store.listMessages(id)).map((m) => m.text)).toEqual(['q1', 'a1']);
    expect((await store.findReply(id, 'cm-1'))?.text).toBe('a1');
    await store.appendExchange(id, message(id, 'user', 'q3'), message(id, 'assistant', 'a3'), null);
    expect(await store.listMessages(id)).toHaveLength(4);
  });

  it('gives conversations conv_ ids with a random UUID v4, all different', async () => {
    const store = createMemoryStore();
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) ids.add((await store.createConversation('p', `user:${i}`)).id);
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^conv_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('newId refuses a prefix too long for its buffer instead of cutting the id short', () => {
    expect(newId('x'.repeat(27))).toMatch(/^x{27}_[0-9a-f-]{36}$/);
    expect(() => newId('x'.repeat(28))).toThrow(RangeError);
  });

  it('returns copies, so a caller cannot change what is stored', async () => {
    const store = createMemoryStore();
    const { id } = await store.createConversation('p', 'visitor:v');
    (await store.listMessages(id)).push(message(id, 'user', 'sneaky'));
    expect(await store.listMessages(id)).toEqual([]);
    await store.setTraits('p', 'user:a', { name: 'A' });
    (await store.getTraits('p', 'user:a')).name = 'B';
    expect(await store.getTraits('p', 'user:a')).toEqual({ name: 'A' });
    expect(await store.getTraits('p', 'visitor:a')).toEqual({});
  });
});

describe('createMemoryStore bounds', () => {
  it('forgets the least recently used conversation past maxConversations', async () => {
    const store = createMemoryStore({ maxConversations: 2 });
    const a = await store.createConversation('p', 'user:a');
    const b = await store.createConversation('p', 'user:b');
    await store.getConversation('p', a.id); // a is now more recent than b
    const c = await store.createConversation('p', 'user:c');
    expect(await store.getConversation('p', b.id)).toBeNull();
    expect(await store.getConversation('p', a.id)).toEqual(a);
    expect(await store.getConversation('p', c.id)).toEqual(c);
    // b's identity starts afresh on its next chat.
    expect(await store.latestConversation('p', 'user:b')).toBeNull();
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

  it('keeps at most maxMessages: older conversations go first, then a conversation’s oldest exchanges', async () => {
    const store = createMemoryStore({ maxMessages: 4 });
    const old = await store.createConversation('p', 'user:old');
    await store.appendExchange(old.id, message(old.id, 'user', 'o1'), message(old.id, 'assistant', 'r-o1'), 'cm-o1');
    const busy = await store.createConversation('p', 'user:busy');
    for (const n of [1, 2])
      await store.appendExchange(busy.id, message(busy.id, 'user', `b${n}`), message(busy.id, 'assistant', `r-b${n}`), `cm-${n}`);
    expect(await store.getConversation('p', old.id)).toBeNull();
    await store.appendExchange(busy.id, message(busy.id, 'user', 'b3'), message(busy.id, 'assistant', 'r-b3'), 'cm-3');
    expect((await store.listMessages(busy.id)).map((m) => m.text)).toEqual(['b2', 'r-b2', 'b3', 'r-b3']);
    // The dropped exchange's client_message_id is forgotten with it.
    expect(await store.findReply(busy.id, 'cm-1')).toBeNull();
    expect((await store.findReply(busy.id, 'cm-2'))?.text).toBe('r-b2');
  });

  it('stays within its bounds however many identities write to it', async () => {
    const store = createMemoryStore({ maxConversations: 50, maxIdentities: 50, maxMessages: 200 });
    for (let i = 0; i < 5000; i++) {
      const opened = (await store.openChat!('p', `visitor:${i}`, null, `cm-${i}`))!;
      await store.setTraits('p', `visitor:${i}`, { i });
      await store.appendExchange(
        opened.conversation.id,
        message(opened.conversation.id, 'user', `q${i}`),
        message(opened.conversation.id, 'assistant', `a${i}`),
        `cm-${i}`,
      );
    }
    let conversations = 0;
    let messages = 0;
    let traits = 0;
    for (let i = 0; i < 5000; i++) {
      const latest = await store.latestConversation('p', `visitor:${i}`);
      if (latest) {
        conversations++;
        messages += (await store.listMessages(latest.id)).length;
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
