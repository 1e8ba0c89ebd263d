import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConversationStore } from '../store/store.js';

/** How long `/readyz` waits for the database before it answers 503. */
const PROBE_TIMEOUT_MS = 2_000;

/** A readiness probe: resolves when the service can answer, rejects naming why not. */
export type ReadinessProbe = () => Promise<void>;

/**
 * The default probe: one read through the store. A SQL store opens only after its migrations
 * ran, and the read touches their tables, so it passing means "reachable, migrations applied".
 */
export function storeProbe(store: ConversationStore): ReadinessProbe {
  return async () => {
    await store.getSummary('__readyz__', '__readyz__');
  };
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>, head: boolean): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(head ? undefined : text);
}

/**
 * Answers `GET /healthz` (the process is alive: always 200) and `GET /readyz` (200 when the
 * probe passes within 2 s and the server is not draining, else 503 with the reason — never a
 * connection string). Returns false for any other request.
 */
export function handleHealth(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  probe: ReadinessProbe,
  draining: () => boolean,
): boolean {
  if (path !== '/healthz' && path !== '/readyz') return false;
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return true;
  }
  if (path === '/healthz') {
    answer(res, 200, { status: 'ok' }, head);
    return true;
  }
  if (draining()) {
    answer(res, 503, { status: 'draining' }, head);
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  Promise.race([probe(), timeout])
    .then(
      () => answer(res, 200, { status: 'ready' }, head),
      // The message of a store error names the database's state, never its URL.
      (error: unknown) =>
        answer(res, 503, { status: 'not_ready', reason: error instanceof Error ? error.message.slice(0, 200) : 'probe failed' }, head),
    )
    .finally(() => clearTimeout(timer));
  return true;
}
