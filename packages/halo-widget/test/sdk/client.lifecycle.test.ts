// identify, shutdown, events, warn-missing-traits and re-entrant.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHalo, type HaloClient } from '../../src/index.js';
import { API_BASE, createFakeApi, deferred, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const make = (api = createFakeApi(), extra: Record<string, unknown> = {}) =>
  createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch, ...extra });

describe('identify', () => {
  it('a client created with a userId posts identify once by itself, with the traits', async () => {
    const api = createFakeApi();
    make(api, { userId: 'alice', userToken: tokenFor('alice'), userTraits: { name: 'Alice', plan: 'pro' } });
    await vi.waitFor(() => expect(api.of('identify')).toHaveLength(1));
    expect(api.of('identify')[0]!.body).toMatchObject({
      widget_key: WIDGET_KEY,
      user_id: 'alice',
      user_traits: { name: 'Alice', plan: 'pro' },
    });
  });

  it('a failing start-up identify goes to onError and never throws', async () => {
    const onError = vi.fn();
    const api = createFakeApi({ intercept: () => new Response('nope', { status: 500 }) });
    expect(() => make(api, { userId: 'alice', userTraits: { name: 'A' }, onError, retry: { attempts: 1 } })).not.toThrow();
    await vi.waitFor(() => expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'server_error' })));
  });

  it('identify with the same user merges traits and rotates the token', async () => {
    const api = createFakeApi();
    const client = make(api, { userId: 'alice', userToken: tokenFor('alice', 3600, { jti: 'a' }), userTraits: { name: 'Alice' } });
    const rotated = tokenFor('alice', 7200, { jti: 'b' });
    await client.identify('alice', { plan: 'pro' }, { userToken: rotated });
    const last = api.of('identify').at(-1)!.body;
    expect(last.user_traits).toEqual({ name: 'Alice', plan: 'pro' });
    expect(last.user_token).toBe(rotated);
  });

  it('identify from anonymous starts a new conversation rather than merging the visitor one', async () => {
    const api = createFakeApi();
    const client = make(api);
    await client.sendMessage('as a visitor');
    await client.identify('alice', { name: 'Alice' }, { userToken: tokenFor('alice') });
    await client.sendMessage('as alice');
    const chats = api.of('chat');
    expect(chats[0]!.body.visitor_id).toBeTruthy();
    expect(chats[1]!.body).toMatchObject({ user_id: 'alice' });
    expect(chats[1]!.body.visitor_id).toBeUndefined();
    expect(chats[1]!.body.conversation_id).toBeUndefined();
  });

  it('rejects bad identify arguments (identify(42) too) with invalid_options, as bad options do, and sends nothing', async () => {
    const api = createFakeApi();
    const client = make(api);
    await expect(client.identify('' as string)).rejects.toMatchObject({ code: 'invalid_options' });
    await expect(client.identify(42 as unknown as string)).rejects.toMatchObject({ code: 'invalid_options' });
    await expect(client.identify('alice', 'traits' as never)).rejects.toMatchObject({ code: 'invalid_options' });
    await expect(client.identify('alice', {}, { userToken: 7 } as never)).rejects.toMatchObject({ code: 'invalid_options' });
    await expect(client.identify('alice', {}, 'options' as never)).rejects.toMatchObject({ code: 'invalid_options' });
    expect(api.calls).toHaveLength(0);
    expect(client.getIdentityState().userId).toBeNull();
  });

  it('warns once per client and user when there is no name or email (warn-missing-traits)', async () => {
    const client = make(createFakeApi(), { userId: 'alice', userToken: tokenFor('alice') });
    await client.identify('alice', { plan: 'pro' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain('Anonymous');
    await client.identify('bob', { email: 'bob@example.com' }, { userToken: tokenFor('bob') });
    expect(warn).toHaveBeenCalledTimes(1);
    await client.identify('carol', {}, { userToken: tokenFor('carol') });
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('does not warn when the signed token carries the name', () => {
    make(createFakeApi(), { userId: 'alice', userToken: tokenFor('alice', 3600, { name: 'Alice' }) });
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('sendMessage and history', () => {
  it('resolves with the reply and emits the user message then the reply', async () => {
    const client = make();
    const seen: string[] = [];
    client.on('message', (m) => seen.push(`${m.role}:${m.text}`));
    const reply = await client.sendMessage('hello');
    expect(reply).toMatchObject({ role: 'assistant', text: 'echo: hello', conversation_id: 'conv_1' });
    expect(seen).toEqual(['user:hello', 'assistant:echo: hello']);
  });

  it.each([[''], ['   '], [42], ['x'.repeat(4001)]])('rejects the message %j with invalid_request and sends nothing', async (text) => {
    const api = createFakeApi();
    await expect(make(api).sendMessage(text as string)).rejects.toMatchObject({ code: 'invalid_request' });
    expect(api.of('chat')).toHaveLength(0);
  });

  it('a 4000-character message of astral symbols is accepted (code points, not UTF-16 units)', async () => {
    await expect(make().sendMessage('😀'.repeat(4000))).resolves.toBeTruthy();
  });

  it('history asks for the known conversation and returns its messages', async () => {
    const api = createFakeApi();
    const client = make(api);
    await client.sendMessage('hi');
    await client.history();
    expect(api.of('history')[0]!.body.conversation_id).toBe('conv_1');
  });

  it.each([
    [400, 'invalid_request'],
    [401, 'invalid_widget_key'],
    [404, 'not_found'],
    [413, 'invalid_request'],
    [500, 'server_error'],
  ])('an HTTP %i answer rejects with %s and goes to onError', async (status, code) => {
    const onError = vi.fn();
    const api = createFakeApi({ intercept: () => new Response(JSON.stringify({ error: { code: 'x', message: 'bad' } }), { status }) });
    await expect(make(api, { onError, retry: { attempts: 1 } }).history()).rejects.toMatchObject({ code, status });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code }));
  });

  it('403 origin_not_allowed maps to origin_not_allowed', async () => {
    const api = createFakeApi({
      intercept: () => new Response(JSON.stringify({ error: { code: 'origin_not_allowed', message: 'no' } }), { status: 403 }),
    });
    await expect(make(api).history()).rejects.toMatchObject({ code: 'origin_not_allowed' });
  });
});

describe('shutdown', () => {
  it('reports anonymous, ignores a second call, and makes every other method reject or throw shutdown', async () => {
    const client = make(createFakeApi(), { userId: 'alice', userToken: tokenFor('alice'), userTraits: { name: 'A' } });
    client.shutdown();
    client.shutdown();
    expect(client.getIdentityState()).toEqual({ userId: null, status: 'anonymous', verified: null, tokenExpiresAt: null });
    await expect(client.sendMessage('x')).rejects.toMatchObject({ code: 'shutdown' });
    await expect(client.history()).rejects.toMatchObject({ code: 'shutdown' });
    await expect(client.identify('bob')).rejects.toMatchObject({ code: 'shutdown' });
    expect(() => client.open()).toThrow(expect.objectContaining({ code: 'shutdown' }));
    expect(() => client.close()).toThrow(expect.objectContaining({ code: 'shutdown' }));
    expect(() => client.on('message', () => undefined)).toThrow(expect.objectContaining({ code: 'shutdown' }));
  });

  it('fires no event at all from shutdown on, whatever was still running', async () => {
    const gate = deferred<string>();
    const reply = deferred<void>();
    const api = createFakeApi({ intercept: async (call) => (call === 'chat' ? (await reply.promise, undefined) : undefined) });
    const onError = vi.fn();
    const onIdentityExpired = vi.fn();
    const client = make(api, {
      userId: 'alice',
      userToken: tokenFor('alice'),
      userTraits: { name: 'A' },
      getUserToken: () => gate.promise,
      onError,
      onIdentityExpired,
    });
    const heard = vi.fn();
    for (const event of ['message', 'identity', 'identityExpired', 'error'] as const) client.on(event, heard);
    const sent = client.sendMessage('on the wire at shutdown');
    sent.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 0));
    heard.mockClear(); // what came before shutdown (identify's verdict) is not the question
    client.shutdown();
    reply.resolve();
    gate.resolve(tokenFor('alice'));
    await expect(sent).rejects.toMatchObject({ code: 'shutdown' });
    await new Promise((r) => setTimeout(r, 10));
    expect(heard).not.toHaveBeenCalled();
    expect(onError).not.toHaveBeenCalled();
    expect(onIdentityExpired).not.toHaveBeenCalled();
  });

  it('calls in flight at shutdown reject with shutdown, not identity_changed', async () => {
    const gate = deferred<string>();
    const api = createFakeApi();
    const onError = vi.fn();
    const client = make(api, { userId: 'alice', userTraits: { name: 'A' }, getUserToken: () => gate.promise, onError });
    const message = client.sendMessage('waiting for a token');
    const history = client.history();
    await Promise.resolve();
    client.shutdown();
    gate.resolve(tokenFor('alice'));
    await expect(message).rejects.toMatchObject({ code: 'shutdown' });
    await expect(history).rejects.toMatchObject({ code: 'shutdown' });
    expect(onError).not.toHaveBeenCalled();
    expect(api.calls).toHaveLength(0);
  });

  it('a message in flight at shutdown is not reported to the next user', async () => {
    const api = createFakeApi();
    const client = make(api);
    const onMessage = vi.fn();
    client.on('message', onMessage);
    const pending = client.sendMessage('hi');
    client.shutdown();
    await pending.catch(() => undefined);
    expect(onMessage).not.toHaveBeenCalled();
  });
});

describe('re-entrant', () => {
  it('an error met while createHalo runs reaches onError after it returns, so the handler can use the client', async () => {
    const api = createFakeApi();
    const seen: Array<{ code: string; userId: string | null | undefined }> = [];
    // onError reads `client`: it runs only after createHalo has returned and the const is set.
    const client: HaloClient = make(api, {
      userId: 'alice',
      userTraits: { name: 'A' },
      userToken: tokenFor('bob'),
      onError: (error: { code: string }) => seen.push({ code: error.code, userId: client?.getIdentityState().userId }),
    });
    const events = vi.fn();
    client.on('error', events);
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen).toEqual([{ code: 'token_user_mismatch', userId: 'alice' }]);
    expect(events).toHaveBeenCalledWith(expect.objectContaining({ code: 'token_user_mismatch' }));
  });

  it('SDK methods work from inside event handlers and callbacks', async () => {
    const bad = tokenFor('alice', 3600, { jti: 'revoked' });
    const api = createFakeApi({ judge: (body) => (body.user_token && body.user_token !== bad ? 'ok' : { reason: 'token_invalid' }) });
    const replies: string[] = [];
    const onIdentityExpired = vi.fn(() => {
      void client.identify('alice', {}, { userToken: tokenFor('alice') });
    });
    // The callbacks read `client`; the SDK calls them only after createHalo has returned.
    const client: HaloClient = make(api, {
      userId: 'alice',
      userToken: bad,
      userTraits: { name: 'A' },
      onIdentityExpired,
      getUserToken: async () => {
        // The app's backend call may itself look at the SDK.
        expect(client.getIdentityState().status).toBe('refreshing');
        throw new Error('no session');
      },
    });
    client.on('message', (m) => {
      if (m.role === 'assistant' && m.text === 'echo: first') void client.sendMessage('second').then((r) => replies.push(r.text));
      if (m.role === 'assistant') void client.history();
    });
    client.on('identity', () => client.getIdentityState());
    client.on('error', () => client.getIdentityState());
    const first = await client.sendMessage('first');
    replies.push(first.text);
    await vi.waitFor(() => expect(replies).toEqual(['echo: first', 'echo: second']));
    expect(onIdentityExpired).toHaveBeenCalled();
  });

  it('shutdown from inside a message handler settles everything', async () => {
    const client = make();
    client.on('message', (m) => {
      if (m.role === 'user') client.shutdown();
    });
    const second = client.sendMessage('two');
    await expect(client.sendMessage('three')).rejects.toMatchObject({ code: 'shutdown' });
    await second;
  });

  it('a throwing handler does not break the SDK or other handlers', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const client = make();
    const other = vi.fn();
    client.on('message', () => {
      throw new Error('app bug');
    });
    client.on('message', other);
    await expect(client.sendMessage('hi')).resolves.toBeTruthy();
    expect(other).toHaveBeenCalledTimes(2);
    expect(error).toHaveBeenCalled();
  });

  it("onError hears an error before on('error') handlers, and a throwing onError does not stop them", async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const calls: string[] = [];
    const api = createFakeApi({ intercept: () => new Response('nope', { status: 500 }) });
    const client = make(api, {
      retry: { attempts: 1 },
      onError: () => {
        calls.push('onError');
        throw new Error('app bug');
      },
    });
    client.on('error', () => calls.push('handler'));
    await expect(client.history()).rejects.toMatchObject({ code: 'server_error' });
    expect(calls).toEqual(['onError', 'handler']);
    expect(logged).toHaveBeenCalledTimes(1);
  });

  it('on() returns a working unsubscribe', async () => {
    const client = make();
    const handler = vi.fn();
    const off = client.on('message', handler);
    off();
    await client.sendMessage('hi');
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('on', () => {
  it('an unknown event name or a non-function handler throws invalid_request', () => {
    const client = make();
    expect(() => client.on('nope' as 'message', () => undefined)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() => client.on('message', 'x' as never)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});

describe('user switch (user-switch-discards, re-entrant)', () => {
  it('the identity event of a switch fires once the switch is complete, so history() from it is the new user’s', async () => {
    const api = createFakeApi();
    const client = make(api, { userId: 'alice', userToken: tokenFor('alice'), userTraits: { name: 'A' } });
    await client.sendMessage('as alice'); // alice now has a conversation id
    const seen: string[] = [];
    client.on('identity', (state) => {
      seen.push(`${state.userId}:${state.status}`);
      if (state.userId === 'bob' && seen.length === 1) void client.history();
    });
    await client.identify('bob', { name: 'Bob' }, { userToken: tokenFor('bob') });
    await vi.waitFor(() => expect(api.of('history').length).toBeGreaterThan(0));
    const history = api.of('history')[0]!.body;
    expect(history.user_id).toBe('bob');
    expect(history.conversation_id).toBeUndefined();
    expect(history.user_token).toBeTruthy();
    expect(seen[0]).toBe('bob:identified');
  });
});
