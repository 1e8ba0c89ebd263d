// Abuse bench (issue: server hardening), against real server processes on loopback:
//  1. anonymous `identify` calls with maximal traits (50 traits, ~4 KB) and a fresh visitor id
//     and client address each (X-Forwarded-For behind trustProxy: the attacker of many
//     addresses, whom no per-address limit stops) — the server keeps serving, RSS stays bounded;
//  2. 5 000 slow-body connections from one address — a well-behaved client at another address
//     keeps being served (p99), and the attacker's address is served again after;
//  3. a flood of forged tokens under enforce — 403 for the burst, then 429.
// `node bench/abuse.mjs` runs 20 000 requests in step 1; HALO_ABUSE_FULL=1 runs 200 000.
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../test/helpers/sizes.mjs';

const KEY = 'ab_live_abusebench0123456';
const SECRET = 'ha_secret_abusebench0123456789abcdefghijklmnopqrstuvwxyzABC';
const FORGED_SECRET = 'ha_secret_forged0000000000000000000000000000000000000000000';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes) => Math.round(bytes / 1e5) / 10;

function startServer(root, config) {
  const child = fork(fileURLToPath(new URL('./abuse-server.mjs', import.meta.url)), [root, JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = [];
  let url;
  child.on('message', (message) => {
    if (message.url) url = message.url;
    if (message.memory) waiting.shift()?.(message.memory);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`abuse server exited with ${code}`)));
    const poll = setInterval(() => {
      if (!url) return;
      clearInterval(poll);
      resolve({
        url,
        memory: () => new Promise((done) => (waiting.push(done), child.send('memory'))),
        stop: () => new Promise((done) => (child.removeAllListeners('exit'), child.once('exit', done), child.send('stop'))),
      });
    }, 10);
  });
}

/** One POST; resolves with the status and the milliseconds it took (0 status: a network error). */
function post(url, path, body, { agent, localAddress, headers = {} } = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      `${url}${path}`,
      {
        method: 'POST',
        agent,
        localAddress,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
};
const count = (statuses) => statuses.reduce((out, s) => ((out[s] = (out[s] ?? 0) + 1), out), {});

/** Step 1: maximal anonymous calls (`identify`, or `chat` with a 4 000-character message too) with fresh identities and addresses. */
async function memoryFlood(root, total, call = 'identify') {
  const server = await startServer(root, { projects: [{ widgetKey: KEY }], trustProxy: true });
  // 50 traits of 72 characters: 4 051 bytes of JSON, just inside the default 4 096-byte limit.
  const message = call === 'chat' ? `,"message":"${'y'.repeat(4000)}"` : '';
  const traits = JSON.stringify(
    Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${String(i).padStart(2, '0')}`, 'x'.repeat(72)])),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const statuses = [];
  let peakRss = 0;
  let sent = 0;
  const started = performance.now();
  const sampler = setInterval(async () => (peakRss = Math.max(peakRss, (await server.memory()).rss)), 250);
  const worker = async () => {
    while (sent < total) {
      const i = sent++;
      const body = `{"widget_key":"${KEY}","visitor_id":"v-${i}-${Math.random().toString(36).slice(2)}","user_traits":${traits}${message}}`;
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      statuses.push((await post(server.url, `/api/sdk/${call}`, body, { agent, headers: { 'X-Forwarded-For': address } })).status);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const after = await post(server.url, '/api/sdk/history', JSON.stringify({ widget_key: KEY, visitor_id: 'after' }), {
    headers: { 'X-Forwarded-For': '192.0.2.1' },
  });
  const memory = await server.memory();
  peakRss = Math.max(peakRss, memory.rss);
  agent.destroy();
  await server.stop();
  return {
    call,
    requests: total,
    seconds: Math.round(seconds * 10) / 10,
    perSecond: Math.round(total / seconds),
    statuses: count(statuses),
    servesAfter: after.status,
    peakRssMB: mb(peakRss),
    finalRssMB: mb(memory.rss),
    heapUsedMB: mb(memory.heapUsed),
  };
}

/** Step 2: slow-body connections from one address, and a well-behaved client at another. */
async function slowClients(root, connections, seconds) {
  const server = await startServer(root, { projects: [{ widgetKey: KEY }] });
  const { port } = new URL(server.url);
  const attacker = '127.0.0.2';
  const slow = fork(fileURLToPath(new URL('./abuse-slow-client.mjs', import.meta.url)), [port, String(connections), attacker, KEY], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((resolve) => slow.once('message', resolve));
  await sleep(2000);
  // Twenty well-behaved clients, each at its own address and within the default rate limit.
  const latencies = [];
  const statuses = [];
  const agents = Array.from({ length: 20 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    agents.map(async (agent, i) => {
      while (performance.now() < until) {
        const body = JSON.stringify({ widget_key: KEY, visitor_id: `well-behaved-${i}` });
        const { status, ms } = await post(server.url, '/api/sdk/history', body, { agent, localAddress: `127.0.0.${10 + i}` });
        statuses.push(status);
        latencies.push(ms);
        await sleep(700);
      }
    }),
  );
  const during = await server.memory();
  const { opened } = await new Promise((resolve) => (slow.once('message', resolve), slow.send('stop')));
  await sleep(500);
  const recovered = await post(server.url, '/api/sdk/history', JSON.stringify({ widget_key: KEY, visitor_id: 'attacker-later' }), {
    localAddress: attacker,
  });
  const after = await server.memory();
  for (const agent of agents) agent.destroy();
  await server.stop();
  return {
    attackerConnections: connections,
    connectionAttempts: opened,
    wellBehavedRequests: statuses.length,
    wellBehavedStatuses: count(statuses),
    p50ms: Math.round(percentile(latencies, 50) * 10) / 10,
    p99ms: Math.round(percentile(latencies, 99) * 10) / 10,
    rssDuringMB: mb(during.rss),
    attackerServedAfter: recovered.status,
    rssAfterMB: mb(after.rss),
  };
}

/** Step 3: forged tokens under enforce, from one address. */
async function forgedFlood(root, requests) {
  const burst = 30;
  const server = await startServer(root, {
    projects: [{ widgetKey: KEY, identitySecrets: [SECRET], mode: 'enforce' }],
    rateLimit: { burst, perSecond: 2 },
  });
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ user_id: 'victim', exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  const forged = `${signed}.${createHmac('sha256', FORGED_SECRET).update(signed).digest('base64url')}`;
  const statuses = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const started = performance.now();
  for (let i = 0; i < requests; i++) {
    statuses.push(
      (
        await post(server.url, '/api/sdk/chat', JSON.stringify({ widget_key: KEY, user_id: 'victim', user_token: forged, message: 'hi' }), {
          agent,
        })
      ).status,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  await server.stop();
  const first429 = statuses.indexOf(429);
  const counted = count(statuses);
  return {
    requests,
    burst,
    perSecond: 2,
    seconds: Math.round(seconds * 100) / 100,
    statuses: counted,
    first429,
    all403BeforeIt: statuses.slice(0, first429).every((s) => s === 403),
    // After the burst, a 403 only as often as the bucket refills.
    refillOnlyAfter:
      statuses.slice(first429).every((s) => s === 429 || s === 403) && (counted[403] ?? 0) <= burst + Math.ceil(seconds * 2) + 1,
  };
}

/** Runs the three steps; `full` runs the 200 000-request figure of step 1. */
export async function measureAbuse({
  root = ROOT,
  full = process.env.HALO_ABUSE_FULL === '1',
  slowSeconds = 15,
  floodRequests = full ? 200_000 : 20_000,
} = {}) {
  const flood = await memoryFlood(root, floodRequests);
  const chatFlood = await memoryFlood(root, Math.round(floodRequests / 2), 'chat');
  const slow = await slowClients(root, 5000, slowSeconds);
  const forged = await forgedFlood(root, 200);
  return {
    flood,
    chatFlood,
    slow,
    forged,
    goals: {
      floodKeepsServing: flood.servesAfter === 200 && !flood.statuses[0] && !flood.statuses[500],
      floodRssUnder300MB: flood.peakRssMB < 300,
      chatFloodKeepsServing: chatFlood.servesAfter === 200 && !chatFlood.statuses[0] && !chatFlood.statuses[500],
      chatFloodRssUnder300MB: chatFlood.peakRssMB < 300,
      slowWellBehavedServed: slow.wellBehavedStatuses[200] === slow.wellBehavedRequests,
      slowP99Under1s: slow.p99ms < 1000,
      slowRecovers: slow.attackerServedAfter === 200,
      forged429AfterBurst: forged.first429 === forged.burst && forged.all403BeforeIt && forged.refillOnlyAfter,
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await measureAbuse();
  console.log(JSON.stringify(result, null, 2));
}
