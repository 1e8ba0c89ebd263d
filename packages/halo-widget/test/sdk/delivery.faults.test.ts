// Issue 6: under dropped connections, 503 bursts, slow answers and duplicated requests,
// every message is delivered exactly once, in order, and every promise settles.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHalo } from '../../src/index.js';
import { API_BASE, json, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';
import { faultyFetch } from '../../../../test/helpers/faults.js';

/** A minimal API with a real message store and client_message_id idempotency. */
function storeApi() {
  const stored: { text: string; clientMessageId: string }[] = [];
  const replies = new Map<string, Record<string, unknown>>();
  const fetch = async (_input: RequestInfo | URL, init?: RequestInit) => {
    const body = JSON.parse(init?.body as string);
    if (!(_input as string).endsWith('/chat'))
      return json(200, { user: { user_id: body.user_id, traits: {} }, identity: { verified: true, mode: 'enforce' } });
    const seen = replies.get(body.client_message_id);
    if (seen) return json(200, seen);
    stored.push({ text: body.message, clientMessageId: body.client_message_id });
    const answer = {
      conversation_id: 'conv_1',
      message: {
        id: `r${stored.length}`,
        conversation_id: 'conv_1',
        role: 'assistant',
        text: `ack ${body.message}`,
        created_at: new Date().toISOString(),
      },
      identity: { verified: true, mode: 'enforce' },
    };
    replies.set(body.client_message_id, answer);
    return json(200, answer);
  };
  return { fetch: fetch as typeof globalThis.fetch, stored };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('delivery under faults', () => {
  it('200 messages through 30% dropped connections, 503 bursts, slow and duplicated answers arrive exactly once, in order', async () => {
    const api = storeApi();
    const faults = faultyFetch(api.fetch, {
      seed: 42,
      dropRate: 0.3,
      burstEvery: 40,
      burstLength: 3,
      slowRate: 0.03,
      slowMs: 25_000, // beyond the SDK's 20 s request timeout
      duplicateRate: 0.05,
    });
    const client = createHalo({
      widgetKey: WIDGET_KEY,
      apiBase: API_BASE,
      launcher: false,
      userId: 'alice',
      userToken: tokenFor('alice', 30 * 24 * 3600),
      userTraits: { name: 'Alice' },
      onError: () => undefined,
      fetch: faults.fetch, // default settings: a message is retried until it is stored
    });
    const texts = Array.from({ length: 200 }, (_, i) => `message ${i}`);
    const outcomes: string[] = [];
    const all = Promise.allSettled(texts.map((t) => client.sendMessage(t).then((reply) => void outcomes.push(reply.text))));
    let settled = false;
    void all.then(() => (settled = true));
    for (let i = 0; i < 10_000 && !settled; i++) await vi.advanceTimersByTimeAsync(1000);
    const results = await all;

    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(api.stored.map((m) => m.text)).toEqual(texts);
    expect(new Set(api.stored.map((m) => m.clientMessageId)).size).toBe(200);
    expect(outcomes).toEqual(texts.map((t) => `ack ${t}`));
    expect(faults.counts.droppedBefore + faults.counts.droppedAfter).toBeGreaterThan(40);
    expect(faults.counts.unavailable).toBeGreaterThan(0);
    expect(faults.counts.slow).toBeGreaterThan(0);
    expect(faults.counts.duplicated).toBeGreaterThan(0);
    console.info('[fault test] 200 messages, figures:', JSON.stringify(faults.counts), `stored=${api.stored.length}`);
  });

  it('a 4xx answer is not retried and rejects at once', async () => {
    let calls = 0;
    const client = createHalo({
      widgetKey: WIDGET_KEY,
      apiBase: API_BASE,
      launcher: false,
      onError: () => undefined,
      fetch: (async () => {
        calls++;
        return json(400, { error: { code: 'invalid_request', message: 'bad' } });
      }) as typeof fetch,
    });
    await expect(client.sendMessage('x')).rejects.toMatchObject({ code: 'invalid_request' });
    expect(calls).toBe(1);
  });

  it('a 429 is retried after Retry-After seconds', async () => {
    const api = storeApi();
    let first = true;
    const client = createHalo({
      widgetKey: WIDGET_KEY,
      apiBase: API_BASE,
      launcher: false,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        if (first) {
          first = false;
          return json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'Retry-After': '3' });
        }
        return api.fetch(input, init);
      }) as typeof fetch,
    });
    const sent = client.sendMessage('hi');
    await vi.advanceTimersByTimeAsync(2900);
    expect(api.stored).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    await expect(sent).resolves.toMatchObject({ text: 'ack hi' });
  });

  it('retry.attempts bounds history(), never a message: sendMessage keeps trying until the network is back', async () => {
    const api = storeApi();
    let down = true;
    const client = createHalo({
      widgetKey: WIDGET_KEY,
      apiBase: API_BASE,
      launcher: false,
      onError: () => undefined,
      retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 100 },
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        if (down) throw new TypeError('Failed to fetch');
        return api.fetch(input, init);
      }) as typeof fetch,
    });
    const history = client.history();
    const historyFailed = expect(history).rejects.toMatchObject({ code: 'network_error' });
    const sent = client.sendMessage('not lost');
    const settled = vi.fn();
    void sent.then(settled, settled);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    await historyFailed;
    expect(settled).not.toHaveBeenCalled();
    expect(client.getPendingMessages()).toEqual([expect.objectContaining({ text: 'not lost', state: 'retrying' })]);
    expect(client.getPendingMessages()[0]!.attempts).toBeGreaterThan(10);
    down = false;
    await vi.advanceTimersByTimeAsync(30_000);
    await expect(sent).resolves.toMatchObject({ text: 'ack not lost' });
    expect(api.stored.map((m) => m.text)).toEqual(['not lost']);
    expect(client.getPendingMessages()).toEqual([]);
  });
});
