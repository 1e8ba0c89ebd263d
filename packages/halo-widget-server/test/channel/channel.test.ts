// The live channel over HTTP (docs/protocol.md, "Live channel"): channel-follows-token,
// resume-from-cursor, channel-isolation and channel-bounded, against a real server on the
// memory store (channel-postgres.test.ts has what PostgreSQL does differently).
import jwt from 'jsonwebtoken';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  generateProjectKeys,
  startHaloServer,
  type ConversationStore,
  type HaloServer,
  type StartHaloServerOptions,
} from '../../src/index.js';
import { silentLogger } from '../../../../test/helpers/server.js';
import { openChannel, type ChannelReader } from '../../../../test/helpers/channel-reader.js';
import { chatOnce } from '../store/exchange-helpers.js';

const { identitySecret: SECRET } = generateProjectKeys();
const KEY = 'ab_test_channel00';
const token = (userId: string, seconds = 600) => jwt.sign({ user_id: userId, exp: Math.floor(Date.now() / 1000) + seconds }, SECRET);

const makeStore = (): ConversationStore => createMemoryStore();
/** The owner's conversation, opened as the chat call opens it: their message (seq 1) and the reply (seq 2). */
const conversationOf = async (store: ConversationStore, owner: string): Promise<string> =>
  (await chatOnce(store, KEY, owner, null, null, 'hello', 'hi'))!.conversation.id;
const agentWrites = (store: ConversationStore, conversation: string, text: string) =>
  store.appendMessage(KEY, conversation, { author: 'agent', agent: { id: 'a1', name: 'Ann' }, text, client_message_id: null });

let server: HaloServer | null = null;
const readers: ChannelReader[] = [];
async function start(store: ConversationStore, extra: Partial<StartHaloServerOptions> = {}): Promise<string> {
  server = await startHaloServer({
    projects: [{ widgetKey: KEY, identitySecrets: [SECRET], mode: 'enforce' }],
    store,
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
    const conversation = await conversationOf(store, 'user:alice');
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
      seq: 3,
      author: 'agent',
      agent: { name: 'Ann' },
      text: 'Hi Alice',
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(bob.events.filter((e) => e.event === 'message')).toEqual([]);
  });

  it('a reconnect resumes after its cursor: the messages written while it was away arrive once, in order', async () => {
    const store = makeStore();
    const url = await start(store);
    const conversation = await conversationOf(store, 'user:alice');
    // Written while no channel is open: nothing hears its announcement.
    await agentWrites(store, conversation, 'agent 3');
    const alice = await open(url, { user_id: 'alice', user_token: token('alice'), after: { [conversation]: 2 } });
    expect((await alice.next('message')).data).toMatchObject({ seq: 3, text: 'agent 3' });
    await agentWrites(store, conversation, 'agent 4');
    expect((await alice.next('message')).data).toMatchObject({ seq: 4 });
    await new Promise((r) => setTimeout(r, 200));
    expect(alice.events.filter((e) => e.event === 'message').map((e) => e.data.seq)).toEqual([3, 4]);
  });

  it("the user's own messages are not sent back on the channel (the chat answer carries them)", async () => {
    const store = makeStore();
    const url = await start(store);
    const conversation = await conversationOf(store, 'user:alice');
    const alice = await open(url, { user_id: 'alice', user_token: token('alice'), after: { [conversation]: 2 } });
    await alice.next('ready');
    await chatOnce(store, KEY, 'user:alice', conversation, null, 'mine', 'reply');
    expect((await alice.next('message')).data).toMatchObject({ seq: 4, author: 'assistant', text: 'reply' });
    await new Promise((r) => setTimeout(r, 200));
    expect(alice.events.filter((e) => e.event === 'message')).toHaveLength(1);
  });

  it("the reply stored with the user's message by a chat (same client_message_id) is not sent either: the chat answer delivers both, in order", async () => {
    const store = makeStore();
    const url = await start(store);
    const conversation = await conversationOf(store, 'user:alice');
    const alice = await open(url, { user_id: 'alice', user_token: token('alice'), after: { [conversation]: 2 } });
    await alice.next('ready');
    await chatOnce(store, KEY, 'user:alice', conversation, 'c-exchange', 'mine', 'the exchange reply');
    await agentWrites(store, conversation, 'an agent, later');
    expect((await alice.next('message')).data).toMatchObject({ author: 'agent', text: 'an agent, later' });
    await new Promise((r) => setTimeout(r, 200));
    expect(alice.events.filter((e) => e.event === 'message').map((e) => (e.data as { text: string }).text)).toEqual(['an agent, later']);
  });

  it("a cursor naming bob's conversation reads nothing of it (channel-isolation)", async () => {
    const store = makeStore();
    const url = await start(store);
    const bobs = await conversationOf(store, 'user:bob');
    await agentWrites(store, bobs, 'for bob only');
    const alice = await open(url, { user_id: 'alice', user_token: token('alice'), after: { [bobs]: 0 } });
    await alice.next('ready');
    await agentWrites(store, bobs, 'for bob again');
    await new Promise((r) => setTimeout(r, 300));
    expect(alice.events.filter((e) => e.event === 'message')).toEqual([]);
  });

  it('a reader that does not read is dropped once its unsent bytes pass the bound, and its slot is free again', async () => {
    const store = makeStore();
    const url = await start(store, { channel: { maxBufferedBytes: 16 * 1024, maxChannelsPerAddress: 1 } });
    const conversation = await conversationOf(store, 'visitor:slow');
    // A raw connection that sends the request and then never reads a byte.
    const { port } = new URL(url);
    const socket = net.connect(Number(port), '127.0.0.1');
    const body = JSON.stringify({ widget_key: KEY, visitor_id: 'slow', after: { [conversation]: 2 } });
    socket.write(
      `POST /api/sdk/channel HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    socket.pause();
    socket.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 300));
    // The one channel this address may have is taken.
    expect((await open(url, { visitor_id: 'other' })).status).toBe(503);
    // ~4 MB for it: more than the kernel's socket buffers take, so the rest waits in the server.
    const text = 'x'.repeat(4000);
    for (let i = 0; i < 1000; i++) await store.appendMessage(KEY, conversation, { author: 'agent', text, client_message_id: null });
    await expect.poll(async () => (await open(url, { visitor_id: 'other' })).status, { timeout: 10_000 }).toBe(200);
    socket.destroy();
  }, 30_000);

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
