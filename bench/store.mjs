// Store throughput: POST /api/sdk/chat (enforce, valid tokens) through startHaloServer on the
// memory store, the embedded store (PGlite in a folder) and PostgreSQL (a throwaway local
// cluster with fsync on), each server in its own process, driven by autocannon from another;
// plus the SQL round trips one chat costs, counted on the client. Run alone: `node bench/store.mjs`.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { combine, load, pinning, SECRET, startServer, WIDGET_KEY } from './api.mjs';
import { startPostgres } from '../test/helpers/postgres-cluster.mjs';
import { REPO, ROOT } from '../test/helpers/sizes.mjs';

// Returning users (each has chatted once before the measure): the steady state of a support chat.
const USERS = 200;
const ENGINES = ['memory', 'embedded', 'postgres'];

async function bodiesFor(server) {
  const bodies = [];
  for (let i = 0; i < USERS; i += 1) {
    const userId = `user_${i}`;
    const token = await server.signUserToken({ user_id: userId, name: `User ${i}` }, SECRET, { expiresIn: '1h' });
    bodies.push({ widget_key: WIDGET_KEY, user_id: userId, user_token: token, message: 'Where is my invoice?' });
  }
  return bodies;
}

/** Statements per chat on PostgreSQL, counted by wrapping the SQL client: all of them, and the exchange's write. */
async function countRoundTrips(server, url, bodies, chats) {
  const inner = await server.createPgClient({ connectionString: url, max: 4 });
  const texts = [];
  const client = {
    engine: inner.engine,
    query: (text, params) => (texts.push(text), inner.query(text, params)),
    exec: (text) => (texts.push(text), inner.exec(text)),
    transaction: (fn) => inner.transaction(fn),
    close: () => inner.close(),
  };
  const store = await server.createPostgresStore({ client });
  const quiet = { info() {}, warn() {}, error: (...args) => console.error(...args) };
  const halo = await server.startHaloServer({
    projects: [{ widgetKey: WIDGET_KEY, identitySecrets: [SECRET], mode: 'enforce' }],
    // The limiter runs but never refuses: the store's throughput is measured.
    rateLimit: { burst: 1e9, perSecond: 1e9 },
    logger: quiet,
    port: 0,
    store,
  });
  const send = (body, n) =>
    fetch(`${halo.url}/api/sdk/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...body, client_message_id: `rt-${n}` }),
    }).then((r) => r.text());
  try {
    // Users who chatted before (the steady state), then the same count of first chats.
    for (let i = 0; i < chats; i++) await send(bodies[i], `warm-${i}`);
    const measure = async (from) => {
      texts.length = 0;
      for (let i = 0; i < chats; i++) await send(bodies[from + i], i);
      return {
        perChat: texts.length / chats,
        writesPerChat: texts.filter((t) => t.includes('insert into messages')).length / chats,
      };
    };
    const returning = await measure(0);
    const first = await measure(chats);
    return { returning, first };
  } finally {
    await halo.close();
    await store.close();
  }
}

/** One chat per user, `connections` at a time, so the measure sees returning users. */
async function warmUsers(url, bodies, connections) {
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const response = await fetch(`${url}/api/sdk/chat`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ ...body, client_message_id: `warm-${next}` }),
        });
        await response.text();
      }
    }),
  );
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Chats/s per engine at each of `connections` (autocannon connections), the engines taking
 * turns `rounds` times under the same load, and the ratios to memory (median of the rounds).
 * The goals (PostgreSQL ≥ 0.4×, embedded ≥ 0.2×) are judged at the highest concurrency:
 * throughput is what a store serves at saturation, and a database serves concurrent requests
 * by batching them (group commit), where at low concurrency each request waits a commit.
 */
export async function measureStore({ root = ROOT, seconds = 6, connections = [10, 50], rounds = 3, chats = 100, fsync = true } = {}) {
  const server = await import(pathToFileURL(join(root, '../halo-widget-server/dist/index.mjs')).href);
  const bodies = await bodiesFor(server);
  const cluster = await startPostgres({ fsync });
  const dataDir = join(REPO, 'bench/tmp/store-embedded');
  rmSync(dataDir, { recursive: true, force: true });
  const pin = pinning();
  const servers = {};
  try {
    const roundTrips = await countRoundTrips(server, await cluster.createDatabase('roundtrips'), bodies, chats);
    const specs = {
      memory: { engine: 'memory' },
      embedded: { engine: 'embedded', dataDir },
      postgres: { engine: 'postgres', url: cluster.url },
    };
    for (const engine of ENGINES) servers[engine] = await startServer('halo', root, pin, [JSON.stringify(specs[engine])]);
    const perRound = Math.max(1, Math.round(seconds / rounds));
    for (const engine of ENGINES) {
      await warmUsers(servers[engine].url, bodies, 10);
      await load(servers[engine].url, bodies, { seconds: 1, connections: 10, pin });
    }
    const levels = [];
    for (const level of connections) {
      const runs = { memory: [], embedded: [], postgres: [] };
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? ENGINES : [...ENGINES].reverse();
        for (const engine of order)
          runs[engine].push(await load(servers[engine].url, bodies, { seconds: perRound, connections: level, pin }));
      }
      const rate = (run) => run.total / run.duration;
      const ratio = (engine) => median(runs[engine].map((run, i) => rate(run) / rate(runs.memory[i])));
      levels.push({
        connections: level,
        engines: Object.fromEntries(ENGINES.map((engine) => [engine, combine(runs[engine])])),
        postgresVsMemory: ratio('postgres'),
        embeddedVsMemory: ratio('embedded'),
      });
    }
    const judged = levels.at(-1);
    return {
      seconds: perRound * rounds,
      rounds,
      levels,
      connections: judged.connections,
      engines: judged.engines,
      postgresVsMemory: judged.postgresVsMemory,
      embeddedVsMemory: judged.embeddedVsMemory,
      roundTrips,
    };
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    await cluster.remove();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes('--quick');
  // --no-fsync: PostgreSQL without flushing commits to disk, to see how much of its time the disk takes.
  const fsync = !process.argv.includes('--no-fsync');
  const result = await measureStore(quick ? { seconds: 2, rounds: 1, chats: 30, fsync } : { fsync });
  for (const level of result.levels) {
    console.log(`${level.connections} connections:`);
    console.table(Object.entries(level.engines).map(([engine, r]) => ({ engine, ...r })));
    console.log(
      `PostgreSQL ÷ memory ${level.postgresVsMemory.toFixed(2)}× (goal ≥ 0.4), embedded ÷ memory ${level.embeddedVsMemory.toFixed(2)}× (goal ≥ 0.2)`,
    );
  }
  console.log(
    `statements per chat: ${result.roundTrips.returning.perChat} (returning user, goal 1), ${result.roundTrips.first.perChat} (first chat); ` +
      `exchange writes per chat ${result.roundTrips.returning.writesPerChat} (goal 1)`,
  );
}
