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

function summarize(result) {
  return {
    requestsPerSec: result.requests.average,
    requests: result.requests.total,
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export async function measureApi({ root = ROOT, seconds = 6, connections = 10 } = {}) {
  const { signUserToken } = await import(pathToFileURL(join(root, 'dist/server/index.mjs')).href);
  const bodies = [];
  for (let i = 0; i < USERS; i += 1) {
    const userId = `user_${i}`;
    const token = await signUserToken({ user_id: userId, name: `User ${i}` }, SECRET, { expiresIn: '1h' });
    bodies.push({ widget_key: WIDGET_KEY, user_id: userId, user_token: token, message: 'Where is my invoice?' });
  }
  const results = {};
  for (const kind of ['bare', 'halo']) {
    const server = await startServer(kind, root);
    try {
      // A short warm-up so the JIT and the store are in their steady state.
      await load(server.url, bodies, { seconds: 1, connections });
      results[kind] = summarize(await load(server.url, bodies, { seconds, connections }));
    } finally {
      await server.stop();
    }
  }
  return {
    seconds,
    connections,
    bare: results.bare,
    halo: results.halo,
    ratio: results.halo.requestsPerSec / results.bare.requestsPerSec,
  };
}
