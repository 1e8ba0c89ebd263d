// A fault-injecting HTTP proxy on loopback, in front of a real Halo API: what a flaky
// network and an overloaded API do to chat requests, seeded so a failing run can be
// replayed. Only `POST /api/sdk/chat` is faulted; every other request (CORS preflights,
// identify, history, the scripts) passes through untouched. Plain JavaScript so that both
// the bench (plain Node) and the browser tests (TypeScript, via fault-proxy.d.mts) use it.
import { createServer, request as httpRequest } from 'node:http';
import { prng } from './prng.mjs';

const CHAT_PATH = '/api/sdk/chat';
// Hop-by-hop headers are the proxy's own business on each side, never forwarded.
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

function endToEnd(headers) {
  const kept = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP.has(name.toLowerCase())) kept[name] = value;
  return kept;
}

/** The `client_message_id` of a chat body, or null when it has none (or is not JSON). */
function messageIdOf(body) {
  try {
    return JSON.parse(body.toString('utf8')).client_message_id ?? null;
  } catch (error) {
    void error; // not JSON: the API answers it with 400, nothing to count
    return null;
  }
}

/**
 * Starts the proxy on 127.0.0.1 (port 0). For each chat request one roll of the seeded PRNG
 * picks, in this order of the plan's shares: `unavailable` (a 503 answered by the proxy, the
 * API never sees the request), `dropAfterStore` (forwarded, the API's whole answer awaited, so
 * the message is stored, then the client's socket destroyed before a byte of it is sent), and
 * `delay` (held `delayMs[0]`–`delayMs[1]` ms, then forwarded); the rest passes through.
 *
 * @param {{ upstream: string, seed: number, plan: { unavailable?: number, dropAfterStore?: number, delay?: number, delayMs?: [number, number] } }} options
 */
export async function startFaultProxy({ upstream, seed, plan }) {
  const random = prng(seed);
  const { unavailable = 0, dropAfterStore = 0, delay = 0, delayMs = [500, 3000] } = plan;
  const target = new URL(upstream);
  const counts = { chat: 0, passed: 0, unavailable: 0, droppedAfterStore: 0, delayed: 0, other: 0 };
  /** Chat requests that reached the proxy, per client_message_id. */
  const attempts = new Map();
  const sockets = new Set();

  const forward = (req, body) =>
    new Promise((resolve, reject) => {
      const out = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...endToEnd(req.headers), host: target.host },
        },
        (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: endToEnd(res.headers), body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  // Every answer closes its connection. Chromium silently re-sends a request whose reused
  // keep-alive connection closed without an answer, which would hide a dropped chat request
  // from the SDK; on a fresh connection the drop reaches the page as a network error.
  const relay = async (req, res, body) => {
    const answer = await forward(req, body);
    res.writeHead(answer.status, { ...answer.headers, Connection: 'close' }).end(answer.body);
  };

  const handle = async (req, res, body) => {
    const isChat = req.method === 'POST' && (req.url ?? '').split('?')[0] === CHAT_PATH;
    if (!isChat) {
      counts.other++;
      return relay(req, res, body);
    }
    counts.chat++;
    const id = messageIdOf(body);
    if (id !== null) attempts.set(id, (attempts.get(id) ?? 0) + 1);
    const roll = random();
    if (roll < unavailable) {
      counts.unavailable++;
      // CORS headers as the API sends them, or the browser reports a CORS error instead of the 503.
      const origin = req.headers.origin;
      res.writeHead(503, {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        Connection: 'close',
        ...(origin ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : {}),
      });
      return res.end(JSON.stringify({ error: { code: 'server_error', message: 'Service unavailable (injected by the fault proxy).' } }));
    }
    if (roll < unavailable + dropAfterStore) {
      counts.droppedAfterStore++;
      // The API has answered, so the message and its reply are stored; the client never hears it.
      await forward(req, body);
      return req.socket.destroy();
    }
    if (roll < unavailable + dropAfterStore + delay) {
      counts.delayed++;
      const ms = delayMs[0] + random() * (delayMs[1] - delayMs[0]);
      await new Promise((resolve) => setTimeout(resolve, ms));
    } else {
      counts.passed++;
    }
    return relay(req, res, body);
  };

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((error) => {
        // The API itself failed (stopped mid-run): say so to the client as a 502 and in the run's output.
        console.error('[fault-proxy]', error);
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    attempts,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
