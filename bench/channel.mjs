// Live-channel bench (issue 23), on the real stores: N idle open channels on one instance —
// the server's RSS per channel and its CPU while idle — and the latency from a store write to
// its receipt, for 1 000 messages spread over 1 000 channels: on the memory store (one
// instance), and on PostgreSQL across two instances (channels on A, writes through B,
// LISTEN/NOTIFY between them). `node bench/channel.mjs [idleChannels]` after `npm run build`;
// `npm run bench` runs it too (measureChannel).
import { fork } from 'node:child_process';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { startPostgres } from '../test/helpers/postgres-cluster.mjs';

const LATENCY_CHANNELS = 1000;

/** A bench server process (bench/channel-server.mjs), on PostgreSQL when `databaseUrl` is given. */
async function startServer(databaseUrl) {
  const child = fork(new URL('./channel-server.mjs', import.meta.url), {
    execArgv: ['--expose-gc'],
    env: { ...process.env, DATABASE_URL: databaseUrl ?? '' },
  });
  const next = () => new Promise((resolve) => child.once('message', resolve));
  const { url, key } = await next();
  return {
    url,
    key,
    port: Number(new URL(url).port),
    ask: async (msg) => (child.send(msg), next()),
    send: (msg) => child.send(msg),
    stop: () => new Promise((resolve) => (child.once('exit', resolve), child.send({ cmd: 'stop' }))),
  };
}

/** Opens one channel for visitor `owner`; calls onMessage(text, receivedAt) per message frame. */
function open(server, owner, i, onMessage) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
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
    req.end(JSON.stringify({ widget_key: server.key, visitor_id: owner }));
  });
}

/** Opens a channel per owner on `server`, 200 at a time. */
async function openAll(server, owners, onMessage = () => {}) {
  const requests = [];
  for (let i = 0; i < owners.length; i += 200)
    requests.push(...(await Promise.all(owners.slice(i, i + 200).map((o, j) => open(server, o, i + j, onMessage)))));
  return requests;
}

/** Idle channels on one instance (memory store): RSS per channel and CPU over 30 s (one heartbeat round). */
async function measureIdleChannels(count) {
  const server = await startServer();
  try {
    const base = await server.ask({ cmd: 'stats' });
    const requests = await openAll(
      server,
      Array.from({ length: count }, (_, i) => `v${i}`),
    );
    const opened = await server.ask({ cmd: 'stats' });
    await new Promise((r) => setTimeout(r, 30_000));
    const idle = await server.ask({ cmd: 'stats' });
    requests.forEach((r) => r.destroy());
    return {
      channels: count,
      rssBaseMiB: base.rss / 2 ** 20,
      rssOpenMiB: opened.rss / 2 ** 20,
      rssPerChannelKB: (opened.rss - base.rss) / count / 1000,
      idleCpuMsOver30s: idle.cpuMs - opened.cpuMs,
    };
  } finally {
    await server.stop();
  }
}

/** 1 000 messages, one per channel, written 2 ms apart through `writer`; channels on `reader`. */
async function measureLatency(reader, writer) {
  const owners = Array.from({ length: LATENCY_CHANNELS }, (_, i) => `l${i}`);
  await writer.ask({ cmd: 'open', owners });
  const latencies = [];
  const requests = await openAll(reader, owners, (text, at) => latencies.push(at - Number(text)));
  for (const owner of owners) {
    writer.send({ cmd: 'write', owner });
    await new Promise((r) => setTimeout(r, 2));
  }
  const deadline = Date.now() + 60_000;
  while (latencies.length < LATENCY_CHANNELS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  requests.forEach((r) => r.destroy());
  latencies.sort((a, b) => a - b);
  // NaN when nothing arrived (the goal then reads MISSED, not a crash).
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { messages: LATENCY_CHANNELS, received: latencies.length, p50Ms: pct(50), p99Ms: pct(99), maxMs: latencies.at(-1) ?? NaN };
}

export async function measureChannel({ idle = 10_000 } = {}) {
  const idleResult = await measureIdleChannels(idle);
  const memory = await startServer();
  let memoryLatency;
  try {
    memoryLatency = await measureLatency(memory, memory);
  } finally {
    await memory.stop();
  }
  const cluster = await startPostgres();
  let postgresLatency;
  try {
    const a = await startServer(cluster.url);
    const b = await startServer(cluster.url);
    try {
      postgresLatency = await measureLatency(a, b);
    } finally {
      await a.stop();
      await b.stop();
    }
  } finally {
    await cluster.remove();
  }
  return { idle: idleResult, latency: { memory: memoryLatency, postgresTwoInstances: postgresLatency } };
}

/** The goals of issue 23: p99 under 100 ms with every message received, ≤ 20 KB RSS per idle channel. */
export function channelGoals({ idle, latency }) {
  const met = (l) => l.p99Ms < 100 && l.received === l.messages;
  return {
    channelP99Memory: met(latency.memory),
    channelP99Postgres: met(latency.postgresTwoInstances),
    channelRssPerIdle: idle.rssPerChannelKB <= 20,
  };
}

/** bench/run.mjs's tables: [title, rows] pairs. */
export function channelTables({ idle, latency }, goals) {
  const verdict = (met) => (met ? 'met' : 'MISSED');
  return [
    [
      `Live channel: ${idle.channels} idle channels on one instance (memory store)`,
      [
        {
          'RSS per channel (KB)': idle.rssPerChannelKB.toFixed(1),
          'CPU over 30 s idle (ms)': idle.idleCpuMsOver30s.toFixed(0),
          goal: `≤ 20 KB: ${verdict(goals.channelRssPerIdle)}`,
        },
      ],
    ],
    [
      'Live channel: write → receipt, 1 000 messages over 1 000 channels (goal p99 < 100 ms)',
      Object.entries(latency).map(([store, l]) => ({
        store,
        received: `${l.received}/${l.messages}`,
        'p50 (ms)': l.p50Ms.toFixed(1),
        'p99 (ms)': l.p99Ms.toFixed(1),
        'max (ms)': l.maxMs.toFixed(1),
        goal: verdict(goals[store === 'memory' ? 'channelP99Memory' : 'channelP99Postgres']),
      })),
    ],
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await measureChannel({ idle: Number(process.argv[2] ?? 10_000) });
  const { idle, latency } = result;
  console.log(
    `idle: ${idle.channels} channels, server RSS ${idle.rssBaseMiB.toFixed(0)} → ${idle.rssOpenMiB.toFixed(0)} MiB (${idle.rssPerChannelKB.toFixed(1)} KB/channel), CPU over 30 s idle ${idle.idleCpuMsOver30s.toFixed(0)} ms`,
  );
  for (const [name, l] of Object.entries(latency))
    console.log(
      `latency write → receipt, ${l.received}/${l.messages} messages over ${l.messages} channels (${name}): p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms, max ${l.maxMs.toFixed(1)} ms`,
    );
}
