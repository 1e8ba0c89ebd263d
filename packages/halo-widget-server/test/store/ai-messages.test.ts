// What the AI responder needs of every store (memory, PGlite, PostgreSQL): a chat that stores
// the user's message alone (the reply comes later), idempotent by client_message_id; an AI
// reply with its own id, in_reply_to and usage; and deltas heard by another instance.
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type StoreEvent } from '../../src/index.js';
import { createPgClient } from '../../src/store/sql-client.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { openEngine, type Engine } from '../../../../test/helpers/stores.js';

const pg = usePostgres();
const closing: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closing.reverse()) await close();
});

const userOnly = (text: string) => async () => ({
  message: { id: `msg_${text}_${Math.random()}`, text, created_at: new Date().toISOString() },
  reply: null,
});

describe.each(['memory', 'embedded', 'postgres'] as const)('%s store', (name) => {
  const open = async () => {
    const engine: Engine = await openEngine(name, () => pg.cluster);
    closing.push(() => engine.close());
    return engine.store;
  };

  it("a chat without a reply stores the user's message alone, announces it, and a retry of its id stores nothing more", async () => {
    const store = await open();
    const events: StoreEvent[] = [];
    store.notifier.subscribe((event) => events.push(event));
    const first = (await store.chatExchange('p', 'user:ann', null, 'cm-1', userOnly('hello')))!;
    expect(first.reply).toMatchObject({ author: 'user', text: 'hello', seq: 1 });
    const again = (await store.chatExchange('p', 'user:ann', first.conversation.id, 'cm-1', userOnly('hello')))!;
    expect(again.reply.id).toBe(first.reply.id);
    const next = (await store.chatExchange('p', 'user:ann', null, 'cm-2', userOnly('more')))!;
    expect(next.reply.seq).toBe(2);
    const page = (await store.readMessages('p', first.conversation.id, { limit: 10 }))!;
    expect(page.messages.map((m) => [m.seq, m.author, m.text])).toEqual([
      [1, 'user', 'hello'],
      [2, 'user', 'more'],
    ]);
    await new Promise((r) => setTimeout(r, 100));
    expect(events.filter((e) => e.type === 'message.created').map((e) => (e as { seq: number }).seq)).toEqual([1, 2]);
  }, 60_000); // PGlite's start takes seconds on a busy machine

  it('an AI reply keeps the id it was given, the user message it answers, and its usage; a repeat stores nothing', async () => {
    const store = await open();
    const chat = (await store.chatExchange('p', 'user:bo', null, null, userOnly('question')))!;
    const reply = {
      author: 'assistant' as const,
      id: 'msg_ai-reply-1',
      text: 'answer',
      client_message_id: 'msg_ai-reply-1',
      usage: { prompt_tokens: 10, completion_tokens: 3 },
      in_reply_to: chat.reply.id,
    };
    const stored = (await store.appendMessage('p', chat.conversation.id, reply))!;
    expect(stored).toMatchObject({ id: 'msg_ai-reply-1', seq: 2, author: 'assistant', in_reply_to: chat.reply.id, usage: reply.usage });
    await store.appendMessage('p', chat.conversation.id, reply);
    const page = (await store.readMessages('p', chat.conversation.id, { limit: 10 }))!;
    expect(page.messages).toHaveLength(2);
    expect(page.messages[1]).toMatchObject({ id: 'msg_ai-reply-1', in_reply_to: chat.reply.id, usage: reply.usage });
  }, 60_000);
});

describe('deltas on PostgreSQL', () => {
  it('a delta published through one instance is heard by another, and one over the NOTIFY limit is skipped', async () => {
    const url = await pg.cluster.createDatabase('ai_deltas');
    const one = await createPostgresStore({ client: await createPgClient({ connectionString: url }) });
    closing.push(() => one.close());
    const two = await createPostgresStore({ client: await createPgClient({ connectionString: url }) });
    closing.push(() => two.close());
    const heard: StoreEvent[] = [];
    two.notifier.subscribe((event) => heard.push(event));
    const delta = { type: 'message.delta' as const, project: 'p', conversation_id: 'conv_1', owner: 'user:ann', id: 'msg_r', text: 'Hel' };
    await one.publishDelta!(delta);
    await one.publishDelta!({ ...delta, text: 'x'.repeat(9_000) });
    await one.publishDelta!({ ...delta, text: 'Hello' });
    for (let i = 0; i < 100 && heard.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(heard).toEqual([delta, { ...delta, text: 'Hello' }]);
    // Nothing stored: the conversation does not even exist.
    expect(await two.readMessages('p', 'conv_1', { limit: 10 })).toBeNull();
  });
});
