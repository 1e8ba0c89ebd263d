// Wire protocol, reference server: a store and a respond() that answer with promises (a database, a model) work
// exactly like the in-memory store and the default reply, which answer with plain values.
import { describe, expect, it } from 'vitest';
import { createMemoryStore, type ConversationStore, type RespondContext } from '../../src/index.js';
import { useHaloServer } from '../../../../test/helpers/server.js';

const KEY = 'ab_test_asyncstore';

/** The memory store behind promises that settle on a later turn, as a database's would. */
function asyncStore(): ConversationStore {
  const memory = createMemoryStore();
  const later = <T>(value: PromiseLike<T>) =>
    new Promise<T>((resolve, reject) => setTimeout(() => void Promise.resolve(value).then(resolve, reject), 1));
  const wrapped: Record<string, unknown> = { notifier: memory.notifier };
  for (const [name, method] of Object.entries(memory)) {
    if (typeof method === 'function')
      wrapped[name] = (...args: unknown[]) => later((method as (...a: unknown[]) => Promise<unknown>)(...args));
  }
  return wrapped as unknown as ConversationStore;
}

const seen: RespondContext[] = [];
const api = useHaloServer(() => ({
  projects: [{ widgetKey: KEY }],
  store: asyncStore(),
  respond: async (ctx) => {
    seen.push(ctx);
    await new Promise((resolve) => setTimeout(resolve, 1));
    return `re: ${ctx.message}`;
  },
}));
const visitor = (id: string) => ({ widget_key: KEY, visitor_id: id });

describe('an async store and respond()', () => {
  it('continue the latest conversation and list it in history', async () => {
    const first = await api.post('chat', { ...visitor('v-async'), message: 'one', user_traits: { name: 'Ann' } });
    const second = await api.post('chat', { ...visitor('v-async'), message: 'two' });
    expect(first.status).toBe(200);
    expect(second.body.conversation_id).toBe(first.body.conversation_id);
    expect(second.body.message).toMatchObject({ role: 'assistant', text: 're: two', conversation_id: first.body.conversation_id });
    const history = await api.post('history', visitor('v-async'));
    expect(history.body.messages.map((m: { text: string }) => m.text)).toEqual(['one', 're: one', 'two', 're: two']);
  });

  it('store a repeated client_message_id once, also when the repeats are concurrent', async () => {
    const body = { ...visitor('v-async-idem'), message: 'pay me', client_message_id: 'cm-async' };
    const answers = await Promise.all([api.post('chat', body), api.post('chat', body), api.post('chat', body)]);
    expect(new Set(answers.map((a) => a.body.message.id)).size).toBe(1);
    expect((await api.post('history', visitor('v-async-idem'))).body.messages).toHaveLength(2);
  });

  it('answer 404 for another identity’s conversation', async () => {
    const mine = await api.post('chat', { ...visitor('v-async-owner'), message: 'mine' });
    const theirs = await api.post('chat', { ...visitor('v-async-other'), message: 'x', conversation_id: mine.body.conversation_id });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('not_found');
  });

  it('give respond() the conversation so far, oldest first, without the new message', async () => {
    seen.length = 0;
    await api.post('chat', { ...visitor('v-async-history'), message: 'first' });
    await api.post('chat', { ...visitor('v-async-history'), message: 'second' });
    expect(seen.map((ctx) => ctx.history.map((m) => m.text))).toEqual([[], ['first', 're: first']]);
    expect(seen[1]!.message).toBe('second');
  });
});
