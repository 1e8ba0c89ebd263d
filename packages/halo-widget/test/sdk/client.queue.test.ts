// Message order ("Browser API" section of docs/protocol.md), nothing-lost and user-switch-discards.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { claimsOf, createFakeApi, deferred, setupClient, tokenFor } from '../../../../test/helpers/fake-api.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-11-24T10:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

/** A server that accepts only tokens whose jti is in `valid`. */
function jtiApi(valid: Set<string>) {
  return createFakeApi({
    judge: (body) => (body.user_token && valid.has(claimsOf(body.user_token).jti) ? 'ok' : { reason: 'token_invalid' }),
  });
}

const setup = (api: ReturnType<typeof createFakeApi>, extra: Record<string, unknown> = {}) =>
  setupClient(api, { userId: 'alice', ...extra });

const token = (user: string, jti: string) => tokenFor(user, 3600, { jti });

describe('message delivery', () => {
  it('messages go out one at a time in call order', async () => {
    const api = createFakeApi();
    const { client } = setup(api, { userToken: token('alice', 'a') });
    const replies = await Promise.all(['one', 'two', 'three', 'four'].map((t) => client.sendMessage(t)));
    expect(replies.map((r) => r.text)).toEqual(['echo: one', 'echo: two', 'echo: three', 'echo: four']);
    expect(api.of('chat').map((c) => c.body.message)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('each message gets its own client_message_id and continues the same conversation', async () => {
    const api = createFakeApi();
    const { client } = setup(api, { userToken: token('alice', 'a') });
    await client.sendMessage('one');
    await client.sendMessage('two');
    const [first, second] = api.of('chat');
    expect(first!.body.client_message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(second!.body.client_message_id).not.toBe(first!.body.client_message_id);
    expect(first!.body.conversation_id).toBeUndefined();
    expect(second!.body.conversation_id).toBe('conv_1');
  });

  it('a message rejected on identity is queued and delivered after identify() with a new token', async () => {
    const valid = new Set(['a']);
    const api = jtiApi(valid);
    const { client, onIdentityExpired } = setup(api, { userToken: token('alice', 'a') });
    await vi.advanceTimersByTimeAsync(0);
    valid.clear();
    const settled = vi.fn();
    const pending = client.sendMessage('are you there?').then(settled);
    await vi.advanceTimersByTimeAsync(0);
    expect(onIdentityExpired).toHaveBeenCalledTimes(1);
    expect(client.getIdentityState().status).toBe('expired');
    expect(settled).not.toHaveBeenCalled();
    valid.add('b');
    await client.identify('alice', {}, { userToken: token('alice', 'b') });
    await pending;
    expect(settled).toHaveBeenCalledWith(expect.objectContaining({ text: 'echo: are you there?' }));
    const chats = api.of('chat');
    expect(chats.at(-1)!.body.message).toBe('are you there?');
    expect(claimsOf(chats.at(-1)!.body.user_token).jti).toBe('b');
    expect(client.getIdentityState().status).toBe('identified');
  });

  it('messages sent while expired wait in order and are delivered after a later successful getUserToken', async () => {
    const valid = new Set(['a']);
    const api = jtiApi(valid);
    const getUserToken = vi.fn<() => Promise<string>>().mockRejectedValue(new Error('logged out'));
    const { client } = setup(api, { userToken: token('alice', 'a'), getUserToken });
    await vi.advanceTimersByTimeAsync(0);
    valid.clear();
    const first = client.sendMessage('one');
    await vi.advanceTimersByTimeAsync(0);
    expect(client.getIdentityState().status).toBe('expired');
    expect(getUserToken).toHaveBeenCalledTimes(1); // the refresh that declared the episode
    const second = client.sendMessage('two'); // within 30 s of that try: no new one
    await vi.advanceTimersByTimeAsync(0);
    const third = client.sendMessage('three');
    await vi.advanceTimersByTimeAsync(0);
    expect(getUserToken).toHaveBeenCalledTimes(1);
    valid.add('c');
    getUserToken.mockResolvedValue(token('alice', 'c'));
    await vi.advanceTimersByTimeAsync(30_000);
    const fourth = client.sendMessage('four');
    const replies = await Promise.all([first, second, third, fourth]);
    expect(replies.map((r) => r.text)).toEqual(['echo: one', 'echo: two', 'echo: three', 'echo: four']);
    const delivered = api.of('chat').filter((c) => claimsOf(c.body.user_token).jti === 'c');
    expect(delivered.map((c) => c.body.message)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('while expired, messages queued within 30 s call getUserToken at most once between them', async () => {
    const valid = new Set(['a']);
    const api = jtiApi(valid);
    const getUserToken = vi.fn<() => Promise<string>>().mockRejectedValue(new Error('logged out'));
    const { client } = setup(api, { userToken: token('alice', 'a'), getUserToken });
    await vi.advanceTimersByTimeAsync(0);
    valid.clear();
    await expect(client.history()).rejects.toMatchObject({ code: 'identity_expired' });
    expect(getUserToken).toHaveBeenCalledTimes(1); // the forced refresh that declared the episode
    const queued = [];
    for (let i = 0; i < 5; i++) {
      queued.push(client.sendMessage(`m${i}`).catch(() => undefined));
      await vi.advanceTimersByTimeAsync(5_000);
    }
    expect(getUserToken).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(6_000); // 31 s since the last try
    queued.push(client.sendMessage('later').catch(() => undefined));
    queued.push(client.sendMessage('and again').catch(() => undefined));
    await vi.advanceTimersByTimeAsync(0);
    expect(getUserToken).toHaveBeenCalledTimes(2);
    expect(api.of('chat')).toHaveLength(0);
    client.shutdown();
    await Promise.all(queued);
  });

  it('the retried delivery of a queued message reuses its client_message_id', async () => {
    const valid = new Set(['a']);
    const api = jtiApi(valid);
    const { client } = setup(api, { userToken: token('alice', 'a') });
    await vi.advanceTimersByTimeAsync(0);
    valid.clear();
    const pending = client.sendMessage('hello');
    await vi.advanceTimersByTimeAsync(0);
    valid.add('b');
    await client.identify('alice', {}, { userToken: token('alice', 'b') });
    await pending;
    const ids = api.of('chat').map((c) => c.body.client_message_id);
    expect(ids.length).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(1);
  });

  it('at most 100 messages wait while expired; the next one rejects with identity_expired', async () => {
    const api = jtiApi(new Set());
    const { client } = setup(api, { userToken: token('alice', 'a') });
    await vi.advanceTimersByTimeAsync(0);
    const queued = Array.from({ length: 100 }, (_, i) => client.sendMessage(`m${i}`));
    queued.forEach((p) => void p.catch(() => undefined));
    await vi.advanceTimersByTimeAsync(0);
    expect(client.getIdentityState().status).toBe('expired');
    await expect(client.sendMessage('one too many')).rejects.toMatchObject({ code: 'identity_expired' });
    client.shutdown();
    await expect(queued[99]).rejects.toMatchObject({ code: 'shutdown' });
  });

  it('queued messages reject with identity_changed when another user is identified, and are never sent as that user', async () => {
    const valid = new Set(['b']);
    const api = jtiApi(valid);
    const { client } = setup(api, { userToken: token('alice', 'a') });
    await vi.advanceTimersByTimeAsync(0);
    const pending = client.sendMessage('alice private');
    const assertion = expect(pending).rejects.toMatchObject({ code: 'identity_changed' });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.getIdentityState().status).toBe('expired');
    await client.identify('bob', { name: 'Bob' }, { userToken: token('bob', 'b') });
    await assertion;
    const asBob = api.calls.filter((c) => c.body.user_id === 'bob');
    expect(asBob.every((c) => c.body.message === undefined)).toBe(true);
  });

  it('shutdown rejects queued messages with shutdown', async () => {
    const api = jtiApi(new Set());
    const { client } = setup(api, { userToken: token('alice', 'a') });
    const pending = client.sendMessage('hello');
    const assertion = expect(pending).rejects.toMatchObject({ code: 'shutdown' });
    await vi.advanceTimersByTimeAsync(0);
    client.shutdown();
    await assertion;
  });

  it('identify(another user) during an in-flight refresh never sends the old token or the old result', async () => {
    const gate = deferred<string>();
    const getUserToken = vi.fn<() => Promise<string>>().mockImplementationOnce(() => gate.promise);
    const api = createFakeApi();
    const { client } = setup(api, { getUserToken });
    const aliceCall = client.history();
    const assertion = expect(aliceCall).rejects.toMatchObject({ code: 'identity_changed' });
    await vi.advanceTimersByTimeAsync(0);
    getUserToken.mockResolvedValue(token('bob', 'bob1'));
    await client.identify('bob', { name: 'Bob' });
    gate.resolve(token('alice', 'late'));
    await assertion;
    await client.history();
    const bobCalls = api.calls.filter((c) => c.body.user_id === 'bob');
    expect(bobCalls.length).toBeGreaterThan(0);
    expect(bobCalls.every((c) => claimsOf(c.body.user_token).user_id === 'bob')).toBe(true);
    expect(api.calls.some((c) => c.body.user_token && claimsOf(c.body.user_token).jti === 'late')).toBe(false);
    expect(client.getIdentityState()).toMatchObject({ userId: 'bob', status: 'identified' });
  });

  it('a user switch starts a new conversation: the old conversation_id is not sent for the new user', async () => {
    const api = createFakeApi();
    const { client } = setup(api, { userToken: token('alice', 'a') });
    await client.sendMessage('as alice');
    await client.identify('bob', { name: 'Bob' }, { userToken: token('bob', 'b') });
    await client.sendMessage('as bob');
    expect(api.of('chat').at(-1)!.body).toMatchObject({ user_id: 'bob' });
    expect(api.of('chat').at(-1)!.body.conversation_id).toBeUndefined();
  });
});
