import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** An error answer of the wire protocol. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reason?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The headers a browser page may read on every answer (wire protocol). */
export const EXPOSED = 'Date, Halo-Identity, Retry-After';

/**
 * Response headers as a flat `[name, value, name, value, …]` list, which `writeHead` takes
 * as it is: cheaper per answer than an object spread from several others.
 */
export type HeaderList = string[];

const CLIENT_ERROR_GRACE_MS = 2000;
const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};
const JSON_HEADER_LIST: HeaderList = Object.entries(JSON_HEADERS).flat();

/** A request URL's path: everything before the query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Sends a JSON answer; never a cookie, never cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: HeaderList = []): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, [...JSON_HEADER_LIST, 'Content-Length', String(Buffer.byteLength(payload)), ...headers]);
  res.end(payload);
}

/** `headers` as a {@link HeaderList}, for the rare answers whose headers come as an object. */
export function headerList(headers: Record<string, string>): HeaderList {
  const list: HeaderList = [];
  for (const name of Object.keys(headers)) list.push(name, headers[name]!);
  return list;
}

/** `{ error: { code, message, reason? } }` (wire protocol). */
function errorBody(error: ApiError): { error: { code: string; message: string; reason?: string } } {
  const body: { code: string; message: string; reason?: string } = { code: error.code, message: error.message };
  if (error.reason) body.reason = error.reason;
  return { error: body };
}

/** Sends `{ error: { code, message, reason? } }` with the error's status and headers (no name in both). */
export function sendError(res: ServerResponse, error: ApiError, headers: HeaderList = []): void {
  sendJson(res, error.status, errorBody(error), [...headers, ...headerList(error.headers)]);
}

/**
 * Answers what Node's HTTP parser refused (a server's `clientError`), which never reaches
 * the handler and would otherwise get Node's own bare 400, 431 or 408. A malformed request
 * is `400 invalid_request`, headers (or chunk extensions) over Node's limit
 * `413 payload_too_large`, both as JSON with `Connection: close`. A timeout, a reset, or a
 * socket that cannot take a clean answer any more is just closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const code = error.code ?? '';
  // An answer to an earlier request of this connection (pipelining) is still pending or under
  // way: one written now would be read as its answer. Node's own handler checks the same field.
  const pending = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (!code.startsWith('HPE_') || !socket.writable || pending) {
    socket.destroy();
    return;
  }
  const answer =
    code === 'HPE_HEADER_OVERFLOW' || code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
      ? new ApiError(413, 'payload_too_large', 'The request headers are too large.')
      : new ApiError(400, 'invalid_request', 'The request is not valid HTTP.');
  const payload = JSON.stringify(errorBody(answer));
  const headers = {
    ...JSON_HEADERS,
    'Content-Length': String(Buffer.byteLength(payload)),
    'Access-Control-Expose-Headers': EXPOSED,
    Vary: 'Origin',
    Date: new Date().toUTCString(),
    Connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n${head}\r\n${payload}`);
  // end() lets the answer be read before the close; a peer that keeps its half of the
  // connection open is cut off after a grace period.
  setTimeout(() => socket.destroy(), CLIENT_ERROR_GRACE_MS).unref();
}

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops buffering (the rest is
 * drained and dropped) and throws 413, so a huge upload costs no memory.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new ApiError(413, 'payload_too_large', `The body is over ${limit} bytes.`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(new ApiError(413, 'payload_too_large', `The body is over ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      // A small body arrives in one chunk: no copy.
      if (!over) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    // A connection cut before the body ended (the client gone, the request timeout) is the
    // client's doing, not a server error to log: it settles the read as a 400 nobody will
    // read, and no half-read body stays referenced by a pending promise.
    const cut = () => {
      if (over || req.complete) return;
      over = true;
      chunks.length = 0;
      reject(new ApiError(400, 'invalid_request', 'The connection closed before the body ended.'));
    };
    req.on('error', cut);
    req.on('close', cut);
  });
}
