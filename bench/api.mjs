// API throughput: /api/sdk/chat in enforce mode with valid tokens (startHaloServer) against a
// bare node:http endpoint answering a similar JSON body, both driven by autocannon over loopback.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { ROOT } from './sizes.mjs';

const WIDGET_KEY = 'ab_live_bench0123456789ab';
const SECRET = 'ha_secret_bench0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
// Many users, so no conversation grows long enough to dominate the cost of a request.
const USERS = 1000;

function startServer(kind, root) {
  const child = fork(fileURLToPath(new URL('./api-server.mjs', import.meta.url)), [kind, root, WIDGET_KEY, SECRET], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${code}) before it listened`)));
    child.once('message', ({ url }) =>
      resolve({
        url,
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit');
            child.once('exit', done);
            child.send('stop');
          }),
      }),
    );
  });
}

function load(url, bodies, { seconds, connections }) {
  let next = 0;
  return autocannon({
    url: `${url}/api/sdk/chat`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        // A fresh client_message_id per request: a repeat would be answered from the store.
        setupRequest: (request) => {
          const body = bodies[next++ % bodies.length];
          return { ...request, body: JSON.stringify({ ...body, client_message_id: randomUUID() }) };
        },
      },
    ],
  });
}

/** Sums rounds of autocannon results into one summary (latency: the worst round's percentiles). */
function combine(rounds) {
  const seconds = rounds.reduce((sum, r) => sum + r.duration, 0);
  const requests = rounds.reduce((sum, r) => sum + r.requests.total, 0);
  return {
    requestsPerSec: Math.round(requests / seconds),
    requests,
    p50ms: Math.max(...rounds.map((r) => r.latency.p50)),
    p99ms: Math.max(...rounds.map((r) => r.latency.p99)),
    errors: rounds.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Both servers run side by side and take turns under the same load, `rounds` times, so a
 * burst of other work on the machine hits both alike: the ratio is the median of the
 * rounds' ratios, and the per-round ratios are kept to show the spread.
 */
export async function measureApi({ root = ROOT, seconds = 6, connections = 10, rounds = 3 } = {}) {
  const { signUserToken } = await import(pathToFileURL(join(root, 'dist/server/index.mjs')).href);
  const bodies = [];
  for (let i = 0; i < USERS; i += 1) {
    const userId = `user_${i}`;
    const token = await signUserToken({ user_id: userId, name: `User ${i}` }, SECRET, { expiresIn: '1h' });
    bodies.push({ widget_key: WIDGET_KEY, user_id: userId, user_token: token, message: 'Where is my invoice?' });
  }
  const servers = { bare: await startServer('bare', root), halo: await startServer('halo', root) };
  const runs = { bare: [], halo: [] };
  const perRound = Math.max(1, Math.round(seconds / rounds));
  try {
    for (const kind of ['bare', 'halo']) {
      // A short warm-up so the JIT and the store are in their steady state.
      await load(servers[kind].url, bodies, { seconds: 1, connections });
    }
    for (let round = 0; round < rounds; round += 1) {
      // Alternate who goes first, so neither always runs right after the other's GC debt.
      const order = round % 2 === 0 ? ['bare', 'halo'] : ['halo', 'bare'];
      for (const kind of order) runs[kind].push(await load(servers[kind].url, bodies, { seconds: perRound, connections }));
    }
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
  const ratios = runs.halo.map((run, i) => run.requests.total / run.duration / (runs.bare[i].requests.total / runs.bare[i].duration));
  return {
    seconds: perRound * rounds,
    rounds,
    connections,
    bare: combine(runs.bare),
    halo: combine(runs.halo),
    roundRatios: ratios.map((r) => Number(r.toFixed(2))),
    ratio: median(ratios),
  };
}
