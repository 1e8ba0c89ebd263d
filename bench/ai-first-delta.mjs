// AI replies bench (issue 25): the time from the model server writing its first chunk to the
// widget's channel receiving the first `messageDelta` — what the whole path adds above the
// model's own time to first token (model stream → openai client → responder → store notifier →
// channel hub → SSE → client). Goal: p50/p99 ≤ 30 ms added. One built server, memory store,
// a local OpenAI-compatible SSE server; the client reads the channel as the SDK does (a fetch
// stream). `node bench/ai-first-delta.mjs [replies]` after `npm run build`.
import http from 'node:http';
import { startHaloServer } from '../packages/halo-widget-server/dist/index.mjs';

const REPLIES = Number(process.argv[2] ?? 300);
const KEY = 'ab_bench_aidelta';

// The model: first chunk at once (its own time to first token ≈ 0), the rest 50 ms apart.
let firstChunkAt = 0;
const model = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    const chunk = (delta, finish = null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    firstChunkAt = performance.now();
    res.write(chunk({ role: 'assistant', content: 'Hello' }));
    setTimeout(() => {
      res.write(chunk({ content: ', there.' }, 'stop'));
      res.write(
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    }, 50);
  });
});
await new Promise((resolve) => model.listen(0, '127.0.0.1', resolve));
process.env.HALO_AI_API_KEY = 'sk-bench';
const server = await startHaloServer({
  projects: [{ widgetKey: KEY }],
  logger: { info() {}, warn() {}, error: console.error },
  rateLimit: false,
  ai: {
    baseUrl: `http://127.0.0.1:${model.address().port}/v1`,
    model: 'm',
    apiKeyEnv: 'HALO_AI_API_KEY',
    instructions: 'Bench.',
    callsPerMinute: 100_000,
    handoffTool: false,
  },
});

const post = (call, body) =>
  fetch(`${server.url}/api/sdk/${call}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ widget_key: KEY, ...body }),
  });

// One channel for the visitor, read as the SDK reads it.
const visitor = { visitor_id: 'bench-visitor' };
const response = await post('channel', visitor);
const reader = response.body.getReader();
const decoder = new TextDecoder();
let buffer = '';
let onFrame = () => {};
(async () => {
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      onFrame(/^event: (.+)$/m.exec(frame)?.[1], performance.now());
    }
  }
})();
await new Promise((resolve) => (onFrame = (event) => event === 'ready' && resolve()));

const added = [];
let conversationId;
for (let i = 0; i < REPLIES + 20; i++) {
  const delta = new Promise((resolve) => (onFrame = (event, at) => event === 'messageDelta' && resolve(at)));
  const message = new Promise((resolve) => {
    const previous = onFrame;
    onFrame = (event, at) => (previous(event, at), event === 'message' && resolve());
  });
  const answer = await (
    await post('chat', { ...visitor, message: `question ${i}`, ...(conversationId ? { conversation_id: conversationId } : {}) })
  ).json();
  conversationId = answer.conversation_id;
  const at = await delta;
  await message;
  // The first 20 warm the JIT and the connections.
  if (i >= 20) added.push(at - firstChunkAt);
}
added.sort((a, b) => a - b);
const pct = (p) => added[Math.min(added.length - 1, Math.floor((p / 100) * added.length))].toFixed(1);
console.log(
  `first delta above the model's own, over ${added.length} replies: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${added.at(-1).toFixed(1)} ms (goal ≤ 30 ms)`,
);
await reader.cancel();
await server.close();
model.close();
