// The in-memory ConversationStore: scoping, idempotent exchanges, traits.
import { describe, expect, it } from 'vitest';
import { createMemoryStore, type StoredMessage } from '../../src/server/index.js';
import { newId } from '../../src/server/store.js';

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
