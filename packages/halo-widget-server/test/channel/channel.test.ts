// The live channel over HTTP (docs/protocol.md, "Live channel"): channel-follows-token,
// resume-from-cursor, channel-isolation and channel-bounded, against a real server.
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it } from 'vitest';
import { generateProjectKeys, startHaloServer, type HaloServer, type StartHaloServerOptions } from '../../src/index.js';
import type { SupportStore } from '../../src/store/conversation-model.js';
import { silentLogger } from '../../../../test/helpers/server.js';
import { openChannel, type ChannelReader } from '../../../../test/helpers/channel-reader.js';
import { createSupportStoreDouble, type SupportStoreDouble } from '../../../../test/helpers/support-store-double.js';

const { identitySecret: SECRET } = generateProjectKeys();
const KEY = 'ab_test_channel00';
const token = (userId: string, seconds = 600) => jwt.sign({ user_id: userId, exp: Math.floor(Date.now() / 1000) + seconds }, SECRET);

// The one line to change once the real stores implement SupportStore.
const makeStore = (): SupportStoreDouble => createSupportStoreDouble();

let server: HaloServer | null = null;
const readers: ChannelReader[] = [];
async function start(store: SupportStore, extra: Partial<StartHaloServerOptions> = {}): Promise<string> {
  server = await startHaloServer({
    projects: [{ widgetKey: KEY, identitySecrets: [SECRET], mode: 'enforce' }],
    supportStore: store,
    logger: silentLogger(),
    rateLimit: false,
    ...extra,
  });
  return server.url;
}
async function open(url: string, body: Record<string, unknown>): Promise<ChannelReader> {
  const reader = await openChannel(url, { widget_key: KEY, ...body });
  readers.push(reader);
  return reader;
}

afterEach(async () => {
  readers.splice(0).forEach((r) => r.close());
  await server?.close();
  server = null;
});

describe('live channel', () => {
  it("an agent's message written into alice's conversation reaches her open channel, and never bob's", async () => {
    const store = makeStore();
    const url = await start(store);
    const conversation = store.open(KEY, 'user:alice');
    const alice = await open(url, { user_id: 'alice', user_token: token('alice') });
    const bob = await open(url, { user_id: 'bob', user_token: token('bob') });
    expect(alice.status).toBe(200);
    expect(alice.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await alice.next('ready');
    await bob.next('ready');
    const written = await store.appendMessage(KEY, conversation, {
      author: 'agent',
      agent: { id: 'a1', name: 'Ann' },
      text: 'Hi Alice',
      client_message_id: null,
    });
    const { data } = await alice.next('message');
    expect(data).toMatchObject({
      id: written!.id,
      conversation_id: conversation,
      seq: 1,
      author: 'agent',
      agent: { name: 'Ann' },
      text: 'Hi Alice',
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(bob.events.filter((e) => e.event === 'message')).toEqual([]);
  });

  it('a reconnect resumes after its cursor: the messages written meanwhile arrive once, and a lost notification loses nothing', async () => {
    const store = makeStore();
    const url = await start(store);
    const conversation = store.open(KEY, 'user:alice');
    await store.write(KEY, conversation, 'user', 'question');
    await store.write(KEY, conversation, 'assistant', 'answer 2');
    // Written while nobody listens, and its announcement lost.
    store.announcing = false;
    await store.write(KEY, conversation, 'agent', 'agent 3');
    store.announcing = true;
    const alice = await open(url, { user_id: 'alice', user_token: token('alice'), after: { [conversation]: 2 } });
    expect((await alice.next('message')).data).toMatchObject({ seq: 3, text: 'agent 3' });
    await store.write(KEY, conversation, 'agent', 'agent 4');
    expect((await alice.next('message')).data).toMatchObject({ seq: 4 });
    await new Promise((r) => setTimeout(r, 200));
    expect(alice.events.filter((e) => e.event === 'message').map((e) => e.data.seq)).toEqual([3, 4]);
  });

  it("the user's own messages are not sent back on the channel (the chat answer carries them)", async () => {
    const store = makeStore();
    const url = await start(store);
    const conversation = store.open(KEY, 'user:alice');
    const alice = await open(url, { user_id: 'alice', user_token: token('alice'), after: { [conversation]: 0 } });
    await alice.next('ready');
    await store.write(KEY, conversation, 'user', 'mine');
    await store.write(KEY, conversation, 'assistant', 'reply');
    expect((await alice.next('message')).data).toMatchObject({ seq: 2, author: 'assistant' });
    expect(alice.events.filter((e) => e.event === 'message')).toHaveLength(1);
  });

  it("a cursor naming bob's conversation reads nothing of it (channel-isolation)", async () => {
    const store = makeStore();
    const url = await start(store);
    const bobs = store.open(KEY, 'user:bob');
    await store.write(KEY, bobs, 'agent', 'for bob only');
    const alice = await open(url, { user_id: 'alice', user_token: token('alice'), after: { [bobs]: 0 } });
    await alice.next('ready');
    await store.write(KEY, bobs, 'agent', 'for bob again');
    await new Promise((r) => setTimeout(r, 300));
    expect(alice.events.filter((e) => e.event === 'message')).toEqual([]);
  });

  it('in enforce the server ends the channel when the token expires, with the reason', async () => {
    const store = makeStore();
    const url = await start(store);
    const alice = await open(url, { user_id: 'alice', user_token: token('alice', 2) });
    const ready = await alice.next('ready');
    expect(ready.data.expires_in_ms).toBeLessThanOrEqual(2000);
    expect((await alice.next('end', 6000)).data).toEqual({ reason: 'token_expired', retry_after_ms: 0 });
    await alice.ended;
  });

  it("an expired or missing token gets the call's 403, never a stream", async () => {
    const url = await start(makeStore());
    const expired = await open(url, { user_id: 'alice', user_token: token('alice', -120) });
    expect(expired.status).toBe(403);
    expect(expired.error.error).toMatchObject({ code: 'identity_verification_failed', reason: 'token_expired' });
    const missing = await open(url, { user_id: 'alice' });
    expect(missing.status).toBe(403);
  });

  it('past the per-address cap a channel is refused with 503 and Retry-After', async () => {
    const url = await start(makeStore(), { channel: { maxChannelsPerAddress: 2 } });
    await open(url, { visitor_id: 'v1' });
    await open(url, { visitor_id: 'v2' });
    const third = await open(url, { visitor_id: 'v3' });
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('5');
  });

  it('a bad cursor is a 400 that names `after`', async () => {
    const url = await start(makeStore());
    const bad = await open(url, { visitor_id: 'v1', after: { c: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.error.error.message).toContain('`after`');
  });

  it('a graceful shutdown ends open channels with a retry hint', async () => {
    const url = await start(makeStore());
    const visitor = await open(url, { visitor_id: 'v1' });
    await visitor.next('ready');
    await server!.close();
    server = null;
    expect((await visitor.next('end')).data).toEqual({ reason: 'shutdown', retry_after_ms: 1000 });
  });
});
