// The chat and history calls on the one store contract, through a real server: history in
// pages (history-pages), respond() given a bounded window, a full conversation answered 409,
// concurrent retries sharing one exchange, and the verified claims kept for the inbox — never
// by a request that did not verify.
import { describe, expect, it } from 'vitest';
import { createMemoryStore, generateProjectKeys, signUserToken, type RespondContext } from '../../src/index.js';
import { useHaloServer } from '../../../../test/helpers/server.js';

const { identitySecret: SECRET } = generateProjectKeys();
const KEY = 'ab_test_pages';
const MONITOR = 'ab_test_pages_monitor';
const store = createMemoryStore({ caps: { maxMessages: 40, maxBytes: 1_000_000 } });
let responds = 0;
const windows: RespondContext['history'][] = [];
const api = useHaloServer(() => ({
  projects: [{ widgetKey: KEY }, { widgetKey: MONITOR, identitySecrets: [SECRET], mode: 'monitor' }],
  store,
  respond: async (ctx) => {
    responds++;
    windows.push(ctx.history);
    // Slow enough that retries sent together all arrive while the first is still answering.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return ctx.message === 'big' ? 'x'.repeat(10_000) : `re: ${ctx.message}`;
  },
}));

const visitor = (id: string) => ({ widget_key: KEY, visitor_id: id });

describe('history pages', () => {
  it('answers the newest page with has_more, then older pages by `before`, each oldest first', async () => {
    for (let i = 1; i <= 6; i++) await api.post('chat', { ...visitor('v-pages'), message: `m${i}` });
    const newest = await api.post('history', { ...visitor('v-pages'), limit: 5 });
    expect(newest.status).toBe(200);
    expect(newest.body.messages.map((m: { seq: number }) => m.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(newest.body.has_more).toBe(true);
    expect(newest.body.messages[0]).toMatchObject({ author: 'assistant', role: 'assistant', text: 're: m4' });
    const older = await api.post('history', { ...visitor('v-pages'), limit: 5, before: 8 });
    expect(older.body.messages.map((m: { seq: number }) => m.seq)).toEqual([3, 4, 5, 6, 7]);
    const oldest = await api.post('history', { ...visitor('v-pages'), before: 3 });
    expect(oldest.body).toMatchObject({ conversation_id: newest.body.conversation_id, has_more: false });
    expect(oldest.body.messages.map((m: { text: string }) => m.text)).toEqual(['m1', 're: m1']);
    // Without limit: 50.
    expect((await api.post('history', visitor('v-pages'))).body.messages).toHaveLength(12);
  });

  it('refuses a limit over 200 or a before that is not a positive integer with 400', async () => {
    for (const bad of [{ limit: 201 }, { limit: 0 }, { before: -1 }, { before: '5' }, { limit: 1.5 }]) {
      const answer = await api.post('history', { ...visitor('v-bad'), ...bad });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
    }
  });

  it('gives respond() at most the last 20 messages and 16 KB, the newest kept', async () => {
    for (let i = 1; i <= 12; i++) await api.post('chat', { ...visitor('v-window'), message: `w${i}` });
    windows.length = 0;
    await api.post('chat', { ...visitor('v-window'), message: 'last' });
    expect(windows[0]!.map((m) => m.text).at(-1)).toBe('re: w12');
    expect(windows[0]).toHaveLength(20);
    await api.post('chat', { ...visitor('v-window'), message: 'big' });
    await api.post('chat', { ...visitor('v-window'), message: 'big' });
    windows.length = 0;
    await api.post('chat', { ...visitor('v-window'), message: 'after' });
    const bytes = windows[0]!.reduce((sum, m) => sum + Buffer.byteLength(m.text), 0);
    expect(bytes).toBeLessThanOrEqual(16_384);
    expect(windows[0]!.at(-1)!.text).toBe('x'.repeat(10_000));
  });

  it('answers 409 conversation_full past the cap, and stores nothing of the refused chat', async () => {
    for (let i = 1; i <= 20; i++) expect((await api.post('chat', { ...visitor('v-full'), message: `f${i}` })).status).toBe(200);
    const refused = await api.post('chat', { ...visitor('v-full'), message: 'one more' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conversation_full');
    const last = await api.post('history', { ...visitor('v-full'), limit: 1 });
    expect(last.body.messages[0]).toMatchObject({ seq: 40, text: 're: f20' });
  });
});

describe('concurrent retries of one client_message_id', () => {
  it('share one exchange: respond() runs once and every retry gets the same reply', async () => {
    responds = 0;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => api.post('chat', { ...visitor('v-retry'), message: 'once', client_message_id: 'cm-shared' })),
    );
    expect(responds).toBe(1);
    expect(new Set(answers.map((a) => a.body.message.id)).size).toBe(1);
  });
});

describe('verified claims for the inbox', () => {
  const token = (claims: Record<string, unknown>) => signUserToken({ user_id: 'claimed', ...claims }, SECRET);

  it('are kept from a verified chat, and a monitor-mode request without a token never changes them', async () => {
    const owner = { widget_key: MONITOR, user_id: 'claimed' };
    expect((await api.post('chat', { ...owner, user_token: await token({ name: 'Real Name', plan: 'pro' }), message: 'hi' })).status).toBe(
      200,
    );
    const panel = await store.getUserPanel(MONITOR, 'user:claimed');
    expect(panel!.verified_claims).toEqual({ name: 'Real Name', plan: 'pro' });
    const forged = await api.post('chat', { ...owner, message: 'I am someone else', user_traits: { name: 'Forged' } });
    expect(forged.body.identity.verified).toBe(false);
    expect((await store.getUserPanel(MONITOR, 'user:claimed'))!.verified_claims).toEqual({ name: 'Real Name', plan: 'pro' });
    const bad = await api.post('chat', { ...owner, user_token: 'not-a-token', message: 'still not' });
    expect(bad.body.identity.verified).toBe(false);
    expect((await store.getUserPanel(MONITOR, 'user:claimed'))!.verified_claims).toEqual({ name: 'Real Name', plan: 'pro' });
    await api.post('chat', { ...owner, user_token: await token({ name: 'New Name' }), message: 'renamed' });
    expect((await store.getUserPanel(MONITOR, 'user:claimed'))!.verified_claims).toEqual({ name: 'New Name' });
  });
});
