import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// A proxy's id (nginx's $request_id, a UUID) is kept so one id follows the request through
// both logs; anything else a client sends is replaced, so a log line cannot be forged with it.
const SANE = /^[A-Za-z0-9._-]{8,64}$/;

/** The request's id: a sane `X-Request-Id` header, else a fresh UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && SANE.test(header) ? header : randomUUID();
}
