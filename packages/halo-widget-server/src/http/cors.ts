import type { IncomingMessage, ServerResponse } from 'node:http';
import { EXPOSED, type HeaderList } from './http.js';
import type { RequestState } from './request-state.js';

/** The CORS headers of an answer to `req`, as a fresh list the caller may extend. */
export function corsHeaders(req: IncomingMessage, state: RequestState): HeaderList {
  const origin = req.headers.origin;
  // An origin a project refuses is never echoed, its 403 included (wire protocol). Before any
  // project is known (bad JSON, unknown key) the origin is echoed, so the page can read
  // the error code: such an answer carries no project's data.
  return origin && !state.originRefused
    ? ['Access-Control-Expose-Headers', EXPOSED, 'Vary', 'Origin', 'Access-Control-Allow-Origin', origin]
    : ['Access-Control-Expose-Headers', EXPOSED, 'Vary', 'Origin'];
}

/**
 * Answers a preflight `204`. It has no body, so no project is known: it is answered for any
 * origin and any path (wire protocol: always 204); the call itself gets the 404 or 405.
 */
export function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(204, {
    'Access-Control-Allow-Origin': req.headers.origin ?? '*',
    'Access-Control-Allow-Methods': 'POST',
    'Access-Control-Allow-Headers': 'Content-Type',
    'Access-Control-Max-Age': '600',
    'Access-Control-Expose-Headers': EXPOSED,
    Vary: 'Origin',
  });
  res.end();
}
