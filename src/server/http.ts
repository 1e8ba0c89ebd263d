import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error answer of the wire protocol (SPEC §5). */
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

/** The headers a browser page may read on every answer (SPEC §5). */
export const EXPOSED = 'Date, Halo-Identity, Retry-After';

/** Sends a JSON answer; never a cookie, never cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(payload);
}

/** Sends `{ error: { code, message, reason? } }` with the error's status and headers. */
export function sendError(res: ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
  const body: { code: string; message: string; reason?: string } = { code: error.code, message: error.message };
  if (error.reason) body.reason = error.reason;
  sendJson(res, error.status, { error: body }, { ...headers, ...error.headers });
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
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!over) reject(error);
    });
  });
}
