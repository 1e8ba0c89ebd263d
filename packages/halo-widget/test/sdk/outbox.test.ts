// @vitest-environment happy-dom
// delivered-exactly-once and nothing-lost in the outbox: the backoff schedule, resumption on
// `online` and visibility, held messages that try getUserToken by themselves, the queue API
// (getPendingMessages, the `pending` event, cancel, clientMessageId) and no timer while idle.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PendingMessage } from '../../src/index.js';
import { MESSAGE_BASE_DELAY_MS, MESSAGE_MAX_DELAY_MS, messageDelay } from '../../src/sdk/delivery.js';
import { HaloError } from '../../src/errors.js';
import { claimsOf, createFakeApi, json, setupClient, tokenFor } from '../../../../test/helpers/fake-api.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-12-01T10:00:00Z'));
  Object.defineProperty(navigator, 'locks', { value: null, configurable: true });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  Object.defineProperty(navigator, 'onLine', { value: true, configurable: true });
  Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
});

const unavailable = () => json(503, { error: { code: 'internal_error', message: 'down' } });

/** A fake API whose chat calls fail with `fault()` while it returns a Response or throws. */
function flakyApi(fault: () => Response | undefined) {
  return createFakeApi({ intercept: (call) => (call === 'chat' ? fault() : undefined) });
}

const head = (client: { getPendingMessages(): readonly PendingMessage[] }) => client.getPendingMessages()[0];

describe('the backoff schedule of a message', () => {
  it('waits a uniform share of min(30 s, 1 s · 2^(n−1)) after the n-th failure in a row (full jitter), or the Retry-After', () => {
    const error = new HaloError('server_error', 'x', { status: 503 });
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 10].map((n) => messageDelay(error, n, () => 1));
    expect(ceilings).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(messageDelay(error, 3, () => 0)).toBe(0);
    expect(messageDelay(error, 3, () => 0.5)).toBe(2000);
    expect(messageDelay(new HaloError('rate_limited', 'x', { status: 429, retryAfter: 45 }), 1, () => 1)).toBe(45_000);
    expect([MESSAGE_BASE_DELAY_MS, MESSAGE_MAX_DELAY_MS]).toEqual([1000, 30_000]);
  });

  it('treats Retry-After as a floor on the backoff: `Retry-After: 0` on every attempt keeps to the schedule, no tight loop', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    let failures = 5;
    const busy = () =>
      new Response(JSON.stringify({ error: { code: 'rate_limited', message: 'busy' } }), { status: 429, headers: { 'Retry-After': '0' } });
    const api = flakyApi(() => (failures-- > 0 ? busy() : undefined));
    const { client } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice') });
    const sent = client.sendMessage('hello');
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(0);
      const pending = head(client)!;
      waits.push(pending.nextAttemptAt! - Date.now());
      await vi.advanceTimersByTimeAsync(pending.nextAttemptAt! - Date.now());
    }
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000]);
    await expect(sent).resolves.toMatchObject({ text: 'echo: hello' });
    expect(messageDelay(new HaloError('rate_limited', 'x', { status: 429, retryAfter: 0 }), 3, () => 1)).toBe(4000);
  });

  it('retries a message on that schedule until the server stores it, and sendMessage never rejects on the way', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    let failures = 7;
    const api = flakyApi(() => (failures-- > 0 ? unavailable() : undefined));
    const { client, onError } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice') });
    const sent = client.sendMessage('hello');
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      await vi.advanceTimersByTimeAsync(0);
      const pending = head(client)!;
      expect(pending).toMatchObject({ text: 'hello', state: 'retrying', attempts: i + 1 });
      waits.push(pending.nextAttemptAt! - Date.now());
      await vi.advanceTimersByTimeAsync(pending.nextAttemptAt! - Date.now());
    }
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
    await expect(sent).resolves.toMatchObject({ text: 'echo: hello' });
    expect(api.of('chat')).toHaveLength(8);
    expect(new Set(api.of('chat').map((c) => c.body.client_message_id)).size).toBe(1);
    // One failure episode, one report.
    expect(onError.mock.calls.filter(([e]) => e.code === 'server_error')).toHaveLength(1);
  });

  it('a second failure episode, after a message got through, is reported again', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const plan = [true, true, false, true, false];
    const api = flakyApi(() => (plan.shift() ? unavailable() : undefined));
    const { client, onError } = setupClient(api, {});
    await Promise.all([client.sendMessage('one'), client.sendMessage('two')]);
    expect(onError.mock.calls.map(([e]) => e.code)).toEqual(['server_error', 'server_error']);
    expect(api.of('chat').map((c) => c.body.message)).toEqual(['one', 'one', 'one', 'two', 'two']);
  });

  it('a retry goes before the next message: order is kept through failures', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.3);
    let n = 0;
    const api = flakyApi(() => (++n % 3 === 0 ? undefined : unavailable()));
    const { client } = setupClient(api, {});
    const replies = Promise.all(['a', 'b', 'c'].map((t) => client.sendMessage(t)));
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await replies).map((r) => r.text)).toEqual(['echo: a', 'echo: b', 'echo: c']);
    const firsts = api.of('chat').map((c) => c.body.message);
    expect(firsts).toEqual(['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c']);
  });

  it("waits a 503's or 429's Retry-After, however long", async () => {
    let first = true;
    const api = flakyApi(() => {
      if (!first) return undefined;
      first = false;
      return json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'Retry-After': '90' });
    });
    const { client } = setupClient(api, {});
    const sent = client.sendMessage('patience');
    await vi.advanceTimersByTimeAsync(89_000);
    expect(api.of('chat')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(sent).resolves.toMatchObject({ text: 'echo: patience' });
  });

  it('401, 408, 500 and network errors are transient for a message; 400 and 404 reject at once and are never retried', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const faults: (() => Response)[] = [
      () => json(401, { error: { code: 'invalid_widget_key', message: 'x' } }),
      () => json(408, { error: { code: 'timeout', message: 'x' } }),
      () => json(500, { error: { code: 'internal_error', message: 'x' } }),
      () => {
        throw new TypeError('Failed to fetch');
      },
    ];
    const api = flakyApi(() => faults.shift()?.());
    const { client } = setupClient(api, {});
    await expect(client.sendMessage('through it all')).resolves.toMatchObject({ text: 'echo: through it all' });
    expect(api.of('chat')).toHaveLength(5);

    for (const status of [400, 404]) {
      const refused = flakyApi(() => json(status, { error: { code: 'invalid_request', message: 'x' } }));
      const other = setupClient(refused, {}).client;
      await expect(other.sendMessage('bad')).rejects.toMatchObject({ status });
      expect(refused.of('chat')).toHaveLength(1);
      expect(other.getPendingMessages()).toEqual([]);
    }
  });
});

describe('resumption', () => {
  it('a message waiting for its retry goes at once when the browser comes back online', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    let down = true;
    const api = createFakeApi({
      intercept: (call) => {
        if (call === 'chat' && down) throw new TypeError('Failed to fetch');
        return undefined;
      },
    });
    const { client } = setupClient(api, {});
    const sent = client.sendMessage('back?');
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(head(client)!.nextAttemptAt! - Date.now());
    expect(head(client)!.nextAttemptAt! - Date.now()).toBeGreaterThan(10_000);
    down = false;
    window.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(0);
    await expect(sent).resolves.toMatchObject({ text: 'echo: back?' });
  });

  it('while offline a message waits without a timer, and goes on `online`', async () => {
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
    const api = createFakeApi();
    const { client } = setupClient(api, {});
    const sent = client.sendMessage('from the tunnel');
    await vi.advanceTimersByTimeAsync(0);
    expect(head(client)).toMatchObject({ state: 'retrying', nextAttemptAt: null, attempts: 0 });
    expect(vi.getTimerCount()).toBe(0);
    Object.defineProperty(navigator, 'onLine', { value: true, configurable: true });
    window.dispatchEvent(new Event('online'));
    await expect(sent).resolves.toMatchObject({ text: 'echo: from the tunnel' });
  });

  it('a message waiting for its retry goes at once when the tab becomes visible, not while it is hidden', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    let down = true;
    const api = flakyApi(() => (down ? unavailable() : undefined));
    const { client } = setupClient(api, {});
    const sent = client.sendMessage('hello again');
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 4; i++) await vi.advanceTimersByTimeAsync(head(client)!.nextAttemptAt! - Date.now());
    down = false;
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(0);
    expect(api.of('chat')).toHaveLength(5);
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(0);
    await expect(sent).resolves.toMatchObject({ text: 'echo: hello again' });
    expect(api.of('chat')).toHaveLength(6);
  });
});

describe('held messages (expired identity)', () => {
  /** A server that accepts only tokens whose jti is in `valid`. */
  const jtiApi = (valid: Set<string>) =>
    createFakeApi({ judge: (body) => (body.user_token && valid.has(claimsOf(body.user_token).jti) ? 'ok' : { reason: 'token_invalid' }) });

  it('try getUserToken by themselves every 30 s, without the app doing anything, and go once it succeeds', async () => {
    const valid = new Set(['a']);
    const api = jtiApi(valid);
    const getUserToken = vi.fn<() => Promise<string>>().mockRejectedValue(new Error('token endpoint: HTTP 500'));
    const { client, onIdentityExpired, onError } = setupClient(api, {
      userId: 'alice',
      userToken: tokenFor('alice', 3600, { jti: 'a' }),
      getUserToken,
    });
    await vi.advanceTimersByTimeAsync(0);
    valid.clear();
    const sent = client.sendMessage('still there?');
    await vi.advanceTimersByTimeAsync(0);
    expect(getUserToken).toHaveBeenCalledTimes(1); // the forced refresh after the 403
    expect(head(client)).toMatchObject({ state: 'held', nextAttemptAt: Date.now() + 30_000 });
    await vi.advanceTimersByTimeAsync(29_999);
    expect(getUserToken).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(getUserToken).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(getUserToken).toHaveBeenCalledTimes(3);
    valid.add('c');
    getUserToken.mockResolvedValue(tokenFor('alice', 3600, { jti: 'c' }));
    await vi.advanceTimersByTimeAsync(30_000);
    await expect(sent).resolves.toMatchObject({ text: 'echo: still there?' });
    expect(getUserToken).toHaveBeenCalledTimes(4);
    expect(onIdentityExpired).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls.filter(([e]) => e.code === 'identity_expired')).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a message whose token is past exp and whose token endpoint fails once (a 500) is kept and delivered, with no expiry', async () => {
    const api = createFakeApi();
    const getUserToken = vi.fn(async () => tokenFor('alice', 3600, { jti: 'new' }));
    const { client, onIdentityExpired, onError } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice', 600), getUserToken });
    await vi.advanceTimersByTimeAsync(0); // identify: the server's clock is known
    vi.setSystemTime(Date.now() + 3600_000);
    getUserToken.mockRejectedValueOnce(new Error('token endpoint: HTTP 500'));
    await expect(client.sendMessage('kept')).resolves.toMatchObject({ text: 'echo: kept' });
    expect(claimsOf(api.of('chat')[0]!.body.user_token).jti).toBe('new');
    expect(getUserToken).toHaveBeenCalledTimes(2);
    expect(onIdentityExpired).not.toHaveBeenCalled();
    expect(onError.mock.calls.map(([e]) => e.code)).toEqual(['token_refresh_failed']);
  });

  it('set no timer when there is no getUserToken: only identify() can help', async () => {
    const api = jtiApi(new Set());
    const { client } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice', 3600, { jti: 'a' }) });
    const sent = client.sendMessage('waiting');
    sent.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(head(client)).toMatchObject({ state: 'held', nextAttemptAt: null });
    expect(vi.getTimerCount()).toBe(0);
    client.shutdown();
    await expect(sent).rejects.toMatchObject({ code: 'shutdown' });
  });
});

describe('the queue API', () => {
  it('lists pending messages with their state, announces each change with `pending`, and keeps one array between changes', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    let failures = 1;
    const api = flakyApi(() => (failures-- > 0 ? unavailable() : undefined));
    const { client } = setupClient(api, {});
    const seen: (readonly PendingMessage[])[] = [];
    client.on('pending', (list) => seen.push(list));
    const one = client.sendMessage('one', { clientMessageId: 'id-1' });
    const two = client.sendMessage('two', { clientMessageId: 'id-2' });
    expect(client.getPendingMessages()).toBe(client.getPendingMessages());
    await vi.advanceTimersByTimeAsync(0);
    expect(client.getPendingMessages()).toEqual([
      { clientMessageId: 'id-1', text: 'one', state: 'retrying', attempts: 1, nextAttemptAt: Date.now() + 500 },
      { clientMessageId: 'id-2', text: 'two', state: 'queued', attempts: 0, nextAttemptAt: null },
    ]);
    await vi.advanceTimersByTimeAsync(500);
    await Promise.all([one, two]);
    expect(client.getPendingMessages()).toEqual([]);
    expect(seen.at(-1)).toBe(client.getPendingMessages());
    expect(seen.map((list) => list.map((m) => `${m.clientMessageId}:${m.state}`).join(' '))).toEqual([
      'id-1:queued',
      'id-1:sending',
      'id-1:sending id-2:queued',
      'id-1:retrying id-2:queued',
      'id-1:sending id-2:queued',
      'id-2:queued',
      'id-2:sending',
      '',
    ]);
  });

  it('cancel() of a message that never left rejects it with cancelled (not_sent), and it is never sent', async () => {
    const api = createFakeApi();
    const { client } = setupClient(api, {});
    const first = client.sendMessage('first');
    const second = client.sendMessage('second', { clientMessageId: 'typo' });
    expect(client.cancel('typo')).toBe(true);
    await expect(second).rejects.toMatchObject({ code: 'cancelled', reason: 'not_sent' });
    await first;
    expect(api.of('chat').map((c) => c.body.message)).toEqual(['first']);
    expect(client.cancel('typo')).toBe(false);
  });

  it('cancel() of a message waiting for a retry stops it; cancelled (maybe_stored): an earlier attempt may have been stored', async () => {
    const api = flakyApi(() => unavailable());
    const { client } = setupClient(api, {});
    const sent = client.sendMessage('never mind', { clientMessageId: 'nm' });
    const next = client.sendMessage('next');
    await vi.advanceTimersByTimeAsync(0);
    expect(head(client)!.state).toBe('retrying');
    client.cancel('nm');
    await expect(sent).rejects.toMatchObject({ code: 'cancelled', reason: 'maybe_stored' });
    await vi.advanceTimersByTimeAsync(0);
    expect(api.of('chat').map((c) => c.body.message)).toEqual(['never mind', 'next']);
    client.shutdown();
    await expect(next).rejects.toMatchObject({ code: 'shutdown' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancel() of a message on the wire: stored → it resolves; not stored → cancelled, and no retry', async () => {
    let answer: (r: Response | undefined) => void = () => undefined;
    const api = createFakeApi({ intercept: (call) => (call === 'chat' ? new Promise((r) => (answer = r)) : undefined) });
    const { client } = setupClient(api, {});
    const stored = client.sendMessage('too late', { clientMessageId: 'late' });
    await vi.advanceTimersByTimeAsync(0);
    expect(head(client)!.state).toBe('sending');
    expect(client.cancel('late')).toBe(true);
    answer(undefined);
    await expect(stored).resolves.toMatchObject({ text: 'echo: too late' });

    const lost = client.sendMessage('lost', { clientMessageId: 'lost' });
    await vi.advanceTimersByTimeAsync(0);
    client.cancel('lost');
    answer(unavailable());
    await expect(lost).rejects.toMatchObject({ code: 'cancelled', reason: 'maybe_stored' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.of('chat')).toHaveLength(2);
  });

  it('sendMessage(text, { clientMessageId }) sends that id; a bad id, or one already pending, rejects with invalid_request', async () => {
    const api = createFakeApi();
    const { client } = setupClient(api, {});
    const sent = client.sendMessage('kept across a reload', { clientMessageId: 'msg-42' });
    await expect(client.sendMessage('again', { clientMessageId: 'msg-42' })).rejects.toMatchObject({ code: 'invalid_request' });
    for (const clientMessageId of ['', 'x'.repeat(101), 42]) {
      await expect(client.sendMessage('x', { clientMessageId } as never)).rejects.toMatchObject({ code: 'invalid_request' });
    }
    await sent;
    expect(api.of('chat').map((c) => c.body.client_message_id)).toEqual(['msg-42']);
  });
});

describe('idle', () => {
  it('no timer is left once every message is delivered, nor after a failure episode has ended', async () => {
    let failures = 2;
    const api = flakyApi(() => (failures-- > 0 ? unavailable() : undefined));
    const { client } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice') });
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
    const sent = client.sendMessage('hi');
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1); // the retry, while one is pending
    await vi.advanceTimersByTimeAsync(10_000);
    await sent;
    expect(vi.getTimerCount()).toBe(0);
  });
});
