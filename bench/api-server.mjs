// A server for the API bench, run in its own process so the load generator does not share
// its event loop: `halo` (startHaloServer, enforce mode) or `bare` (node:http, the same
// answer on the wire). Tells the parent its URL over IPC, its CPU time when asked, and stops when told.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// `store` (optional, JSON): { engine: 'memory' | 'embedded' | 'postgres', dataDir?, url? } for the store bench.
const [kind, root, widgetKey, secret, store] = process.argv.slice(2);

// The same answer on the wire as the Halo API's: its headers, and a body of the same shape
// and size (UUID ids, a reply of the default length), so the ratio measures the servers'
// work and not the load generator parsing more bytes from one of them.
const HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Access-Control-Expose-Headers': 'Date, Halo-Identity, Retry-After',
  Vary: 'Origin',
  'Halo-Identity': 'verified',
};

async function startBare() {
  const conversationId = `conv_${randomUUID()}`;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const message = {
        id: `msg_${randomUUID()}`,
        conversation_id: conversationId,
        role: 'assistant',
        text: `Hi ${body.user_id}, verified. We got: "${body.message}" and will look into your account.`,
        created_at: new Date().toISOString(),
      };
      const payload = JSON.stringify({ conversation_id: conversationId, message, identity: { verified: true, mode: 'enforce' } });
      res.writeHead(200, { ...HEADERS, 'Content-Length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function startHalo() {
  const server = await import(pathToFileURL(join(root, '../halo-widget-server/dist/index.mjs')).href);
  const quiet = { info() {}, warn() {}, error: (...args) => console.error(...args) };
  const spec = store ? JSON.parse(store) : { engine: 'memory' };
  const chosen =
    spec.engine === 'embedded'
      ? await server.createEmbeddedStore({ dataDir: spec.dataDir, smallWasmCode: spec.smallWasmCode ?? true }) // as `serve` runs it
      : spec.engine === 'postgres'
        ? await server.createPostgresStore({ connectionString: spec.url })
        : undefined;
  // The limiter runs (its cost is part of a request's) but never refuses: throughput is measured.
  const halo = await server.startHaloServer({
    projects: [{ widgetKey, identitySecrets: [secret], mode: 'enforce' }],
    rateLimit: { burst: 1e9, perSecond: 1e9 },
    logger: quiet,
    port: 0,
    store: chosen,
  });
  return { url: halo.url, close: async () => (await halo.close(), await chosen?.close()) };
}

const server = kind === 'halo' ? await startHalo() : await startBare();
process.send({ url: server.url });
process.on('message', async (message) => {
  // 'cpu': this process's CPU time so far (µs, user + system), to price a request in CPU.
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send({ cpu: user + system });
    return;
  }
  await server.close();
  process.exit(0);
});
