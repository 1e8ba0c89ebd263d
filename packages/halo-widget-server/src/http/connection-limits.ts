import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { installShedding } from './connection-shedding.js';

/** Limits on connections and on how long a request may take to arrive. */
export interface ConnectionLimits {
  /** The request's headers must arrive within this. @default 5000 */
  headersTimeoutMs?: number;
  /** The whole request, body included, must arrive within this. @default 10000 */
  requestTimeoutMs?: number;
  /**
   * Open connections at most; past it the connection that costs most and earns least (idle
   * keep-alive, last answered 429, from the address holding most) is closed to make room,
   * and a new one is refused only when none can go. Never more than
   * 80 % of the process's file-descriptor limit, so the server keeps descriptors for its work.
   * @default 2048
   */
  maxConnections?: number;
  /**
   * Open connections per client (socket) address at most; past it a new one is closed at once.
   * Behind a proxy (`trustProxy` set) every connection comes from the proxy, so the default is
   * then no per-address cap: the proxy's own limits apply.
   * @default 128 (no cap when `trustProxy` is set)
   */
  maxConnectionsPerAddress?: number;
}

/** The defaults of {@link ConnectionLimits}. */
export const DEFAULT_CONNECTION_LIMITS = {
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  maxConnections: 2048,
  maxConnectionsPerAddress: 128,
};

/** The soft limit on open files from /proc (Linux), or null where there is none to read. */
function openFileLimit(): number | null {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match ? Number(match[1]) : null;
  } catch (error) {
    // Not Linux: there is no cheap way to read the limit, and the configured cap applies.
    void error;
    return null;
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && value > 0)) throw new TypeError(`startHaloServer: ${name} must be a positive number.`);
  return value;
}

/**
 * Applies {@link ConnectionLimits} to a `node:http` server before it listens. Node's own
 * defaults (a 300 s request timeout checked every 30 s, no connection cap) let a few slow
 * clients hold every file descriptor (issue: slow clients); here a request must arrive
 * within seconds, and one address cannot take more than its share of connections.
 */
export function applyConnectionLimits(server: Server, limits: ConnectionLimits, behindProxy: boolean): void {
  const headersTimeout = positive('headersTimeoutMs', limits.headersTimeoutMs, DEFAULT_CONNECTION_LIMITS.headersTimeoutMs);
  const requestTimeout = positive('requestTimeoutMs', limits.requestTimeoutMs, DEFAULT_CONNECTION_LIMITS.requestTimeoutMs);
  const fdLimit = openFileLimit();
  let maxConnections = positive('maxConnections', limits.maxConnections, DEFAULT_CONNECTION_LIMITS.maxConnections);
  if (fdLimit !== null) maxConnections = Math.max(1, Math.min(maxConnections, Math.floor(fdLimit * 0.8)));
  const perAddress = positive(
    'maxConnectionsPerAddress',
    limits.maxConnectionsPerAddress,
    behindProxy ? Infinity : DEFAULT_CONNECTION_LIMITS.maxConnectionsPerAddress,
  );
  // Node requires headersTimeout ≤ requestTimeout.
  server.requestTimeout = Math.max(requestTimeout, headersTimeout);
  server.headersTimeout = headersTimeout;
  // Not server.maxConnections: Node would refuse a new connection at the cap before anything
  // could shed an idle one to make room for it (connection-shedding.ts).
  installShedding(server, maxConnections, perAddress);
}

/** How often Node checks the timeouts above: its default (30 s) would let a slow request live 30 s past them. */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;
