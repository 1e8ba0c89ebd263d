// Live-channel bench (issue 23): N idle open channels on one instance — the server's RSS per
// channel and its CPU while idle — and the latency from a store write to its receipt over
// 1 000 channels (memory store). `node bench/channel.mjs [idleChannels]` after `npm run build`.
import { fork } from 'node:child_process';
import http from 'node:http';

const IDLE = Number(process.argv[2] ?? 10_000);
const LATENCY_CHANNELS = 1000;

const child = fork(new URL('./channel-server.mjs', import.meta.url), { execArgv: ['--expose-gc'] });
const next = () => new Promise((resolve) => child.once('message', resolve));
const { url, key } = await next();
const { port } = new URL(url);
const ask = async (msg) => (child.send(msg), next());

/** Opens one channel for visitor `owner`; calls onMessage(text, receivedAt) per message frame. */
function open(owner, i, onMessage) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/sdk/channel',
        method: 'POST',
        localAddress: `127.0.0.${1 + (i % 8)}`,
        agent: false,
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buffer += chunk;
          for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
            const frame = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            if (frame.startsWith('event: ready')) resolve(req);
            else if (frame.startsWith('event: message'))
              onMessage(JSON.parse(frame.slice(frame.indexOf('data: ') + 6)).text, performance.timeOrigin + performance.now());
          }
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ widget_key: key, visitor_id: owner }));
  });
}

const base = await ask({ cmd: 'stats' });
const owners = Array.from({ length: IDLE }, (_, i) => `v${i}`);
await ask({ cmd: 'open', owners });
const requests = [];
for (let i = 0; i < IDLE; i += 200) requests.push(...(await Promise.all(owners.slice(i, i + 200).map((o, j) => open(o, i + j, () => {})))));
const opened = await ask({ cmd: 'stats' });
await new Promise((r) => setTimeout(r, 30_000)); // idle: one heartbeat round (25 s)
const idle = await ask({ cmd: 'stats' });
const perChannelKb = (opened.rss - base.rss) / IDLE / 1024;
console.log(
  `idle: ${IDLE} channels, server RSS ${(base.rss / 2 ** 20).toFixed(0)} → ${(opened.rss / 2 ** 20).toFixed(0)} MiB (${perChannelKb.toFixed(1)} KiB/channel), CPU over 30 s idle ${(idle.cpuMs - opened.cpuMs).toFixed(0)} ms`,
);
requests.forEach((r) => r.destroy());
await new Promise((r) => setTimeout(r, 2000));

// Latency: 1 000 messages, one per channel, written 2 ms apart.
const latencies = [];
const latencyOwners = Array.from({ length: LATENCY_CHANNELS }, (_, i) => `l${i}`);
await ask({ cmd: 'open', owners: latencyOwners });
const open2 = [];
for (let i = 0; i < LATENCY_CHANNELS; i += 200)
  open2.push(
    ...(await Promise.all(latencyOwners.slice(i, i + 200).map((o, j) => open(o, i + j, (text, at) => latencies.push(at - Number(text)))))),
  );
for (const owner of latencyOwners) {
  child.send({ cmd: 'write', owner });
  await new Promise((r) => setTimeout(r, 2));
}
while (latencies.length < LATENCY_CHANNELS) await new Promise((r) => setTimeout(r, 50));
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
console.log(
  `latency write → receipt, ${LATENCY_CHANNELS} messages over ${LATENCY_CHANNELS} channels (memory store): p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1).toFixed(1)} ms`,
);
open2.forEach((r) => r.destroy());
child.send({ cmd: 'stop' });
