import type { IncomingMessage, ServerResponse } from 'node:http';
import { canSee } from '../agents/agent-accounts.js';
import type { AgentAccount } from '../agents/agent-store.js';
import type { StoreEvent, StoreNotifier } from '../store/conversation-model.js';

/** Bytes a slow page may leave unread before its stream is ended (it reconnects and reloads). */
const MAX_BUFFERED = 256 * 1024;
const HEARTBEAT_MS = 25_000;
/** How often a stream re-checks its session: a logout or an idle end also ends the stream. */
const RECHECK_MS = 60_000;

/**
 * The inbox's live stream (`GET /api/agent/events`, Server-Sent Events): the store's events of
 * the projects the agent may see, ids only (`event: message.created`, `data: {…}`); the page
 * fetches what changed. `stillValid` is asked every minute, so a stream never outlives its session.
 * Returns the function that ends the stream (a logout on this instance calls it at once).
 */
export function serveInboxEvents(
  req: IncomingMessage,
  res: ServerResponse,
  agent: AgentAccount,
  notifier: StoreNotifier,
  stillValid: () => Promise<boolean>,
  onError: (error: unknown) => void,
): () => void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    // A proxy must pass each event on at once, not buffer the stream.
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  const send = (text: string) => {
    res.write(text);
    if (res.writableLength > MAX_BUFFERED) end();
  };
  const unsubscribe = notifier.subscribe((event: StoreEvent) => {
    // `resync` (the store's listener reconnected, events may be lost) goes to every stream: the page reloads.
    if (event.type !== 'resync' && !canSee(agent, event.project)) return;
    send(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  });
  const heartbeat = setInterval(() => send(': keep-alive\n\n'), HEARTBEAT_MS);
  const recheck = setInterval(() => {
    stillValid().then((ok) => ok || end(), onError);
  }, RECHECK_MS);
  let ended = false;
  function end() {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(heartbeat);
    clearInterval(recheck);
    res.end();
  }
  req.on('close', end);
  res.on('error', end);
  return end;
}
