// API throughput: /api/sdk/chat in enforce mode with valid tokens (startHaloServer) against a
// bare node:http endpoint giving the same answer on the wire, both driven by autocannon over
// loopback from a separate load-generator process.
import { execFileSync, fork, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ROOT } from '../test/helpers/sizes.mjs';

export const WIDGET_KEY = 'ab_live_bench0123456789ab';
export const SECRET = 'ha_secret_bench0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
// Many users, so no conversation grows long enough to dominate the cost of a request.
const USERS = 1000;

/**
 * With two or more CPUs and `taskset` (util-linux) present, the load generator runs on CPU 0
 * and the servers on CPU 1, so they never share a core: unpinned, the scheduler sometimes
 * puts both on one core and the figures swing by 2×.
 */
export function pinning() {
  if (availableParallelism() < 2) return null;
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return { load: ['-c', '0'], server: ['-c', '1'] };
  } catch (error) {
    console.warn(`(API bench: not pinned to CPUs: ${error.message.split('\n')[0]})`);
    return null;
  }
}

/** Runs a bench script in its own Node process, under `taskset` when pinned. */
function child(file, args, cpus) {
  const script = fileURLToPath(new URL(file, import.meta.url));
  const stdio = ['ignore', 'inherit', 'inherit', 'ipc'];
  return cpus ? spawn('taskset', [...cpus, process.execPath, script, ...args], { stdio }) : fork(script, args, { stdio });
}

export function startServer(kind, root, pin, extra = []) {
  const server = child('./api-server.mjs', [kind, root, WIDGET_KEY, SECRET, ...extra], pin?.server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('exit', (code) => reject(new Error(`${kind} server exited (${code}) before it listened`)));
    server.once('message', ({ url }) =>
      resolve({
        url,
        cpu: () =>
          new Promise((done) => {
            server.once('message', ({ cpu }) => done(cpu));
            server.send('cpu');
          }),
        stop: () =>
          new Promise((done) => {
            server.removeAllListeners('exit');
            server.once('exit', done);
            server.send('stop');
          }),
      }),
    );
  });
}

/** One autocannon run against `url`, from a fresh load-generator process. */
export function load(url, bodies, { seconds, connections, pin }) {
  const generator = child('./api-load.mjs', [], pin?.load);
  return new Promise((resolve, reject) => {
    generator.once('error', reject);
    generator.once('exit', (code) => reject(new Error(`the load generator exited (${code}) without a result`)));
    generator.once('message', (result) => {
      generator.removeAllListeners('exit');
      resolve(result);
    });
    generator.send({ url, bodies, seconds, connections });
  });
}

/** Sums rounds of autocannon results into one summary (latency: the worst round's percentiles). */
export function combine(rounds) {
  const seconds = rounds.reduce((sum, r) => sum + r.duration, 0);
  const requests = rounds.reduce((sum, r) => sum + r.total, 0);
  return {
    requestsPerSec: Math.round(requests / seconds),
    requests,
    p50ms: Math.max(...rounds.map((r) => r.p50)),
    p99ms: Math.max(...rounds.map((r) => r.p99)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
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
  const { signUserToken } = await import(pathToFileURL(join(root, '../halo-widget-server/dist/index.mjs')).href);
  const bodies = [];
  for (let i = 0; i < USERS; i += 1) {
    const userId = `user_${i}`;
    const token = await signUserToken({ user_id: userId, name: `User ${i}` }, SECRET, { expiresIn: '1h' });
    bodies.push({ widget_key: WIDGET_KEY, user_id: userId, user_token: token, message: 'Where is my invoice?' });
  }
  const pin = pinning();
  const servers = { bare: await startServer('bare', root, pin), halo: await startServer('halo', root, pin) };
  const runs = { bare: [], halo: [] };
  const perRound = Math.max(1, Math.round(seconds / rounds));
  try {
    for (const kind of ['bare', 'halo']) {
      // A short warm-up so the JIT and the store are in their steady state.
      await load(servers[kind].url, bodies, { seconds: 1, connections, pin });
    }
    for (let round = 0; round < rounds; round += 1) {
      // Alternate who goes first, so neither always runs right after the other's GC debt.
      const order = round % 2 === 0 ? ['bare', 'halo'] : ['halo', 'bare'];
      for (const kind of order) {
        const before = await servers[kind].cpu();
        const run = await load(servers[kind].url, bodies, { seconds: perRound, connections, pin });
        runs[kind].push({ ...run, cpu: (await servers[kind].cpu()) - before });
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
  const ratios = runs.halo.map((run, i) => run.total / run.duration / (runs.bare[i].total / runs.bare[i].duration));
  // Requests per second of the server's own CPU: what one core of it can serve, whoever the
  // bottleneck of a run was (the bare endpoint is often waiting on the load generator).
  const perCpuSecond = (run) => run.total / (run.cpu / 1e6);
  const cpuRatios = runs.halo.map((run, i) => perCpuSecond(run) / perCpuSecond(runs.bare[i]));
  return {
    pinned: pin !== null,
    seconds: perRound * rounds,
    rounds,
    connections,
    bare: combine(runs.bare),
    halo: combine(runs.halo),
    roundRatios: ratios.map((r) => Number(r.toFixed(2))),
    ratio: median(ratios),
    capacity: {
      bare: Math.round(runs.bare.reduce((n, r) => n + r.total, 0) / (runs.bare.reduce((n, r) => n + r.cpu, 0) / 1e6)),
      halo: Math.round(runs.halo.reduce((n, r) => n + r.total, 0) / (runs.halo.reduce((n, r) => n + r.cpu, 0) / 1e6)),
      roundRatios: cpuRatios.map((r) => Number(r.toFixed(2))),
      ratio: median(cpuRatios),
    },
  };
}
