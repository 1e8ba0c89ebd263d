// Connection-flood bench (issue 27), against a real `serve` process on loopback with the
// default caps (2 048 connections, 128 per address): attackers at 20 or 100 addresses
// (127.0.0.0/8) hold every connection they can — keep-alive ones sending a tiny request every
// 4 s, or slow-header ones that never finish — reopening each the server closes. Meanwhile
// legitimate clients at other addresses send chats on fresh connections; the bench prints the
// share served and the p99 latency (connect included). `node bench/connection-shedding.mjs`
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KEY = 'ab_live_sheddingbench012345';
const LEGIT_REQUESTS = Number(process.env.HALO_SHED_REQUESTS ?? 300);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startServe() {
  const dir = mkdtempSync(join(tmpdir(), 'halo-shed-bench-'));
  const config = join(dir, 'halo.config.json');
  writeFileSync(config, JSON.stringify({ projects: [{ widgetKey: KEY }] }));
  const child = spawn(
    process.execPath,
    [join(ROOT, 'packages/halo-widget-server/bin/halo-widget-server.mjs'), 'serve', '--config', config, '--port', '0', '--memory'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, DATABASE_URL: undefined, HALO_ADMIN_TOKEN: undefined },
    },
  );
  let output = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const found = /listening on (http:\/\/\S+)/.exec(output);
      if (found) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { url, stop: () => (child.kill('SIGTERM'), rmSync(dir, { recursive: true, force: true })) };
}

function attack(url, addresses, perAddress, everyMs) {
  const { hostname, port } = new URL(url);
  const sockets = new Set();
  let stopped = false;
  const open = (localAddress) => {
    if (stopped) return;
    const socket = connect({ host: hostname, port: Number(port), localAddress });
    sockets.add(socket);
    let timer = null;
    socket.on('connect', () => {
      if (everyMs === 0) return void socket.write('GET / HTTP/1.1\r\n');
      const send = () => socket.write(`GET /favicon.ico HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      send();
      timer = setInterval(send, everyMs);
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined); // resets are expected: the close handler reopens
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
      setTimeout(() => open(localAddress), 20);
    });
  };
  for (const address of addresses) for (let i = 0; i < perAddress; i += 1) open(address);
  return {
    held: () => sockets.size,
    stop: () => {
      stopped = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}

function legit(url, localAddress, i) {
  const body = JSON.stringify({ widget_key: KEY, visitor_id: `legit-${i}`, message: 'hello' });
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      `${url}/api/sdk/chat`,
      {
        method: 'POST',
        localAddress,
        agent: false,
        timeout: 10_000,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ ok: res.statusCode === 200, ms: performance.now() - started }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ok: false, ms: performance.now() - started }));
    req.end(body);
  });
}

async function scenario(name, attackers, everyMs) {
  const server = await startServe();
  const addresses = Array.from({ length: attackers }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
  // Enough per address to fill the 2 048 slots (the per-address cap is 128).
  const flood = attack(server.url, addresses, Math.min(128, Math.ceil(2200 / attackers)), everyMs);
  await sleep(3000);
  const results = [];
  const concurrency = 4;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < LEGIT_REQUESTS) {
        const i = next++;
        results.push(await legit(server.url, `127.0.200.${1 + (i % 200)}`, i));
      }
    }),
  );
  const held = flood.held();
  flood.stop();
  server.stop();
  const served = results.filter((r) => r.ok).length;
  const times = results.map((r) => r.ms).sort((a, b) => a - b);
  const p = (q) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]);
  const line = {
    scenario: name,
    attackers,
    attackerSockets: held,
    served: `${served}/${results.length}`,
    share: +(served / results.length).toFixed(3),
    p50: p(0.5),
    p99: p(0.99),
  };
  console.log(JSON.stringify(line));
  return line;
}

const lines = [];
for (const attackers of [20, 100]) {
  lines.push(await scenario('keep-alive, a request every 4 s', attackers, 4000));
  lines.push(await scenario('slow headers (never finished)', attackers, 0));
}
const failed = lines.filter((l) => l.share < 0.95 || l.p99 >= 1000);
if (failed.length) {
  console.error(`target missed (≥ 95 % served, p99 < 1 s): ${failed.map((l) => `${l.scenario} × ${l.attackers}`).join('; ')}`);
  process.exitCode = 1;
}
