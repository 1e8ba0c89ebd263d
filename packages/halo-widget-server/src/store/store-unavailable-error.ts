import { inspect } from 'node:util';

/**
 * The database cannot be reached right now (refused, reset, timed out, shutting down, out of
 * connections). The API answers `503 service_unavailable` with `Retry-After` and logs the
 * cause; the next request tries again, so service resumes by itself when the database returns.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'store_unavailable';
  override readonly name = 'StoreUnavailableError';
}

/** Whether `error` is a {@link StoreUnavailableError}, also across module copies (checks the name). */
export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError || (error as { name?: unknown } | null)?.name === 'StoreUnavailableError';
}

// Socket and DNS failures: the server is not there (yet, or any more).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ENOSPC',
]);
// node-postgres's own words for a lost or never-made connection.
const LOST =
  /connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|client was closed|cannot use a pool after calling end/i;

/**
 * Whether a driver error means "the database is unavailable" rather than "this statement is
 * wrong": SQLSTATE class 08 (connection exception), 57P (shutdown, cannot connect now),
 * 53 (out of connections, disk or memory), a socket error, or a lost connection.
 */
function unavailable(error: { code?: unknown; message?: unknown }): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  if (NETWORK_CODES.has(code)) return true;
  if (/^(08|57P|53)/.test(code) && code.length === 5) return true;
  return typeof error.message === 'string' && LOST.test(error.message);
}

function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * The error a store throws for a driver error: a {@link StoreUnavailableError} (message with
 * the driver's code, secrets redacted, no reference to the driver's objects) when the
 * database is unreachable, otherwise the driver's error — or, if its text holds a secret, a
 * plain `Error` with the redacted message.
 */
export function toStoreError(error: unknown, secrets: string[]): Error {
  const shaped = (error ?? {}) as { code?: unknown; message?: unknown };
  const message = redact(typeof shaped.message === 'string' ? shaped.message : String(error), secrets);
  if (unavailable(shaped)) {
    const code = typeof shaped.code === 'string' ? `${shaped.code}: ` : '';
    return new StoreUnavailableError(`database unavailable (${code}${message})`);
  }
  if (!(error instanceof Error)) return new Error(message);
  const text = inspect(error, { depth: 4, breakLength: Infinity });
  if (secrets.some((secret) => secret && text.includes(secret))) return new Error(message);
  return error;
}
