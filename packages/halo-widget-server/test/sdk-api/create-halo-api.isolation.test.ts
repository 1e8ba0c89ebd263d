// history-isolation: no combination of another user's token, an anonymous visitor or a guessed
// conversation_id reads or writes another identity's conversation.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateProjectKeys, signUserToken } from '../../src/index.js';
import { useHaloServer } from '../../../../test/helpers/server.js';

const { identitySecret: SECRET } = generateProjectKeys();
const KEY = 'ab_test_isolation';
const OTHER_PROJECT = 'ab_test_otherproj';
const api = useHaloServer(() => ({
  projects: [
    { widgetKey: KEY, identitySecrets: [SECRET], mode: 'enforce' },
    { widgetKey: OTHER_PROJECT, identitySecrets: [SECRET], mode: 'off' },
  ],
}));

let aliceToken: string;
let bobToken: string;
let aliceConversation: string;
const SECRET_TEXT = 'my invoice number is 4242';

beforeAll(async () => {
  aliceToken = await signUserToken({ user_id: 'alice' }, SECRET);
  bobToken = await signUserToken({ user_id: 'bob' }, SECRET);
  const sent = await api.post('chat', { widget_key: KEY, user_id: 'alice', user_token: aliceToken, message: SECRET_TEXT });
  expect(sent.status).toBe(200);
  aliceConversation = sent.body.conversation_id;
});

const leaks = (body: unknown) => JSON.stringify(body).includes('4242');

describe('history isolation', () => {
  it('the owner reads their conversation, by default and by id', async () => {
    const latest = await api.post('history', { widget_key: KEY, user_id: 'alice', user_token: aliceToken });
    expect(latest.body.conversation_id).toBe(aliceConversation);
    expect(latest.body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    const byId = await api.post('history', {
      widget_key: KEY,
      user_id: 'alice',
      user_token: aliceToken,
      conversation_id: aliceConversation,
    });
    expect(byId.body.messages[0].text).toBe(SECRET_TEXT);
  });

  it.each([
    ["bob's own token, naming alice's conversation", () => ({ user_id: 'bob', user_token: bobToken, conversation_id: aliceConversation })],
    ["bob's token claiming to be alice", () => ({ user_id: 'alice', user_token: bobToken, conversation_id: aliceConversation })],
    ['alice without a token', () => ({ user_id: 'alice', conversation_id: aliceConversation })],
    ['an anonymous visitor naming the conversation', () => ({ visitor_id: 'v-1', conversation_id: aliceConversation })],
    ['a visitor whose visitor_id is "alice"', () => ({ visitor_id: 'alice' })],
    ['a visitor whose visitor_id is "alice", naming the conversation', () => ({ visitor_id: 'alice', conversation_id: aliceConversation })],
    [
      'a guessed conversation id',
      () => ({ user_id: 'bob', user_token: bobToken, conversation_id: 'conv_00000000-0000-4000-8000-000000000000' }),
    ],
  ])('%s reads nothing', async (_name, identity) => {
    for (const call of ['history', 'chat']) {
      const answer = await api.post(call, { widget_key: KEY, message: 'let me in', ...identity() });
      expect([200, 403, 404]).toContain(answer.status);
      expect(leaks(answer.body)).toBe(false);
      if (answer.status === 200 && call === 'history') expect(answer.body.messages).toEqual([]);
    }
  });

  it("naming another identity's conversation is 404 not_found, like a conversation that does not exist", async () => {
    const other = await api.post('history', { widget_key: KEY, user_id: 'bob', user_token: bobToken, conversation_id: aliceConversation });
    const missing = await api.post('history', { widget_key: KEY, user_id: 'bob', user_token: bobToken, conversation_id: 'conv_nope' });
    expect(other.status).toBe(404);
    expect(other.body).toEqual(missing.body);
  });

  it('nobody can append to another identity’s conversation', async () => {
    await api.post('chat', {
      widget_key: KEY,
      user_id: 'bob',
      user_token: bobToken,
      conversation_id: aliceConversation,
      message: 'injected',
    });
    const history = await api.post('history', { widget_key: KEY, user_id: 'alice', user_token: aliceToken });
    expect(JSON.stringify(history.body)).not.toContain('injected');
  });

  it("another project never sees this project's conversations, even in off mode", async () => {
    const answer = await api.post('history', { widget_key: OTHER_PROJECT, user_id: 'alice', conversation_id: aliceConversation });
    expect(answer.status).toBe(404);
    const latest = await api.post('history', { widget_key: OTHER_PROJECT, user_id: 'alice' });
    expect(latest.body).toEqual({ conversation_id: null, messages: [], has_more: false });
  });

  it('a visitor keeps their own conversation apart from users', async () => {
    const first = await api.post('chat', { widget_key: KEY, visitor_id: 'visitor-9', message: 'anon question' });
    const again = await api.post('history', { widget_key: KEY, visitor_id: 'visitor-9' });
    expect(again.body.conversation_id).toBe(first.body.conversation_id);
    const asUser = await api.post('history', {
      widget_key: KEY,
      user_id: 'visitor-9',
      user_token: await signUserToken({ user_id: 'visitor-9' }, SECRET),
    });
    expect(asUser.body.messages).toEqual([]);
  });
});
