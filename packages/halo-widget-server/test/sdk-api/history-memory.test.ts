// Issue 27 ("one conversation crashes the server"), against a real `serve` process: a
// conversation of 20 000 messages (80 MB of text) and a dozen concurrent history calls whose
// answers are never read keep the server's memory bounded and the server serving — history is
// read a page at a time, and respond() gets a bounded window. (The full size, 185 MB,
// is the same test with bigger messages; its peak is printed.)
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEmbeddedStore } from '../../src/store/create-embedded-store.js';
import { call, configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';

const KEY = 'ab_test_bigconversation';
const MESSAGES = 20_000;
const config = configFile([{ widgetKey: KEY }]);
let serve: ServeProcess;
let conversation = '';

/** The kernel's figure for a process: VmHWM (peak resident set) or VmRSS, in MB. */
const memory = (pid: number, field: 'VmHWM' | 'VmRSS') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

beforeAll(async () => {
  const data = join(config.dir, 'data');
  const store = await createEmbeddedStore({ dataDir: data });
  const first = await store.chatExchange(KEY, 'visitor:big', null, null, async () => ({
    message: { id: 'msg_first', text: 'start', created_at: new Date().toISOString() },
    reply: { id: 'msg_first_reply', text: 'ok', created_at: new Date().toISOString() },
  }));
  conversation = first!.conversation.id;
  // Past the 10 000-message cap on purpose: a database from before the caps may hold this.
  await store.client.query(
    `insert into messages (conversation_id, seq, id, author, text, created_at)
     select $1, g, 'msg_' || g, case when g % 2 = 1 then 'user' else 'assistant' end, repeat('x', 4000), now()
     from generate_series(3, $2) g`,
    [conversation, MESSAGES],
  );
  await store.client.query('update conversations set last_seq = $2 where id = $1', [conversation, MESSAGES]);
  await store.close();
  serve = await startServe(config.file, ['--data', data]);
}, 180_000);
afterAll(async () => {
  await serve?.stop();
  config.remove();
});

/** A history call whose answer is never read: the socket is paused once the request is sent. */
function unreadHistory(url: string): () => void {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ widget_key: KEY, visitor_id: 'big', limit: 200 });
  const socket = connect(Number(port), hostname, () => {
    socket.write(
      `POST /api/sdk/history HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    socket.pause();
  });
  socket.on('error', (error) => void error); // closed by the server's deadline: expected
  return () => socket.destroy();
}

it('serves a 20 000-message conversation a page at a time, with 12 unread history calls, in bounded memory', async () => {
  const before = memory(serve.pid, 'VmRSS');
  const closers = Array.from({ length: 12 }, () => unreadHistory(serve.url));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const page = await call(serve.url, 'history', { widget_key: KEY, visitor_id: 'big' });
  expect(page.status).toBe(200);
  expect(page.body.messages).toHaveLength(50);
  expect(page.body.messages.at(-1).seq).toBe(MESSAGES);
  expect(page.body.has_more).toBe(true);
  // The conversation is past its cap: a chat is refused, not stored, and the server still answers.
  const chat = await call(serve.url, 'chat', { widget_key: KEY, visitor_id: 'big', message: 'still there?' });
  expect(chat.status).toBe(409);
  const other = await call(serve.url, 'chat', { widget_key: KEY, visitor_id: 'someone-else', message: 'hello' });
  expect(other.status).toBe(200);
  const peak = memory(serve.pid, 'VmHWM');
  for (const close of closers) close();
  console.log(
    `[history-memory] RSS before ${before.toFixed(0)} MB, peak ${peak.toFixed(0)} MB (20 000 messages, 80 MB of text, 12 unread calls)`,
  );
  expect(peak).toBeLessThan(500);
  // What the calls added, beside what the embedded database itself takes (~300 MB of WASM heap).
  expect(peak - before).toBeLessThan(200);
}, 120_000);
