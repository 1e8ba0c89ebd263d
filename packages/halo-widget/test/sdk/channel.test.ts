// @vitest-environment happy-dom
// The live channel in the SDK (docs/protocol.md "Live channel"): channel-follows-token (403 →
// one forced refresh, then onIdentityExpired), channel-backoff (Retry-After a floor),
// resume-from-cursor (the `after` it sends) and de-duplication by id.
import { describe, expect, it, vi } from 'vitest';
import type { ChatMessage } from '../../src/index.js';
import { createFakeApi, json, setupClient, tokenFor, type RecordedCall } from '../../../../test/helpers/fake-api.js';
import { frame, useChannelFakes } from './channel-fakes.js';

useChannelFakes();

/** A stream that sends `frames` and then ends (the connection dropped). */
const stream = (...frames: string[]) =>
  new Response(frames.join(''), { status: 200, headers: { 'Content-Type': 'text/event-stream', Date: new Date().toUTCString() } });
const agentMessage = (seq: number) => ({
  id: `m${seq}`,
  conversation_id: 'conv_1',
  seq,
  author: 'agent',
  agent: { id: 'a1', name: 'Ann' },
  text: `agent ${seq}`,
  created_at: new Date().toISOString(),
});
const channelCalls = (calls: RecordedCall[]) => calls.filter((c) => c.call === 'channel');

describe('the live channel in the SDK', () => {
  it('announces a channel message once by id, counts it unread, and resumes after the last seq it saw', async () => {
    const api = createFakeApi({
      intercept: (call) =>
        call === 'channel'
          ? stream(frame('ready', { heartbeat_seconds: 25 }), frame('message', agentMessage(3)), frame('message', agentMessage(3)))
          : undefined,
    });
    const { client } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice') });
    const got: ChatMessage[] = [];
    client.on('message', (m) => got.push(m));
    await vi.advanceTimersByTimeAsync(50);
    expect(got.map((m) => [m.id, m.author, m.role])).toEqual([['m3', 'agent', 'assistant']]);
    expect(client.getUnreadCount()).toBe(1);
    // The stream ended; the reconnect names the cursor.
    await vi.advanceTimersByTimeAsync(1000);
    const calls = channelCalls(api.calls);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls[1]!.body).toMatchObject({ user_id: 'alice', after: { conv_1: 3 } });
    expect(JSON.stringify(calls[0]!.body)).toContain('user_token');
    expect(got).toHaveLength(1);
    client.destroy();
  });

  it('emits messageDelta ({ id, text }) for a reply being written, and none for it once its message arrived', async () => {
    const reply = { ...agentMessage(4), id: 'r4', author: 'assistant', agent: undefined, text: 'Hello there' };
    const delta = (text: string) => frame('messageDelta', { id: 'r4', conversation_id: 'conv_1', text });
    const api = createFakeApi({
      intercept: (call) =>
        call === 'channel'
          ? stream(frame('ready', { heartbeat_seconds: 25 }), delta('Hel'), delta('Hello th'), frame('message', reply), delta('Hello'))
          : undefined,
    });
    const { client } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice') });
    const seen: unknown[] = [];
    client.on('messageDelta', (d) => seen.push(['delta', d]));
    client.on('message', (m) => seen.push(['message', m.id, m.text]));
    await vi.advanceTimersByTimeAsync(50);
    expect(seen).toEqual([
      ['delta', { id: 'r4', text: 'Hel' }],
      ['delta', { id: 'r4', text: 'Hello th' }],
      ['message', 'r4', 'Hello there'],
    ]);
    client.destroy();
  });

  it('reconnects on the backoff schedule when every attempt answers 503 with Retry-After: 0', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const at: number[] = [];
    const api = createFakeApi({
      intercept: (call) => {
        if (call !== 'channel') return undefined;
        at.push(Date.now());
        return json(503, { error: { code: 'service_unavailable', message: 'busy' } }, { 'Retry-After': '0' });
      },
    });
    const { client } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice') });
    client.on('message', () => {});
    await vi.advanceTimersByTimeAsync(8000);
    const waits = at.slice(1).map((t, i) => t - at[i]!);
    expect(waits.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    client.destroy();
  });

  it('answers a 403 with one forced getUserToken and a retry, then onIdentityExpired, and stops trying', async () => {
    const getUserToken = vi.fn(async () => tokenFor('alice'));
    const api = createFakeApi({
      intercept: (call) =>
        call === 'channel'
          ? json(403, { error: { code: 'identity_verification_failed', message: 'no', reason: 'token_invalid' } })
          : undefined,
    });
    const { client, onIdentityExpired } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice'), getUserToken });
    client.on('message', () => {});
    await vi.advanceTimersByTimeAsync(60_000);
    expect(channelCalls(api.calls)).toHaveLength(2);
    expect(getUserToken).toHaveBeenCalledTimes(1);
    expect(onIdentityExpired).toHaveBeenCalledWith({ userId: 'alice', reason: 'token_invalid' });
    client.destroy();
  });

  it('after a user switch the old stream is aborted and a late message of the old identity is not announced', async () => {
    let push: ((text: string) => void) | undefined;
    const api = createFakeApi({
      intercept: (call, body) => {
        if (call !== 'channel' || body.user_id !== 'alice') return undefined;
        const encoder = new TextEncoder();
        const body$ = new ReadableStream<Uint8Array>({
          start(controller) {
            push = (text) => controller.enqueue(encoder.encode(text));
            push(frame('ready', { heartbeat_seconds: 25 }));
          },
        });
        return new Response(body$, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
      },
    });
    const { client } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice') });
    const got: string[] = [];
    client.on('message', (m) => got.push(m.text));
    await vi.advanceTimersByTimeAsync(50);
    await client.identify('bob', {}, { userToken: tokenFor('bob') });
    try {
      push?.(frame('message', agentMessage(1)));
    } catch (error) {
      // The aborted stream no longer takes frames: that is what we want.
      void error;
    }
    await vi.advanceTimersByTimeAsync(50);
    expect(got).toEqual([]);
    expect(channelCalls(api.calls).some((c) => c.body.user_id === 'bob')).toBe(true);
    client.destroy();
  });
});
