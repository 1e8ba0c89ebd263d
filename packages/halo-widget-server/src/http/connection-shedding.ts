import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { addressKey } from './client-address.js';

/**
 * What a connection is doing, as the shedding judges it. `streaming-verified` (a live channel
 * whose identity verified) earns its place and is shed last of all; `streaming` (unverified)
 * like a request in flight. Set by other capabilities with {@link markConnection}.
 */
export type ConnectionRole = 'streaming-verified' | 'streaming';

interface Tracked {
  address: string;
  /** Requests of this connection in flight (pipelining can make it more than one). */
  busy: number;
  /** When it last finished a request, or was opened. */
  idleSince: number;
  /** Its last answer was a 429: it costs a slot and earns nothing. */
  limited: boolean;
  role: ConnectionRole | null;
}

const tracked = new WeakMap<Socket, Tracked>();

/**
 * Marks a connection as a long-lived stream (SSE): `verified` when the request's identity
 * verified. Such connections are shed only after every idle and every unverified one, so a
 * flood of idle keep-alive connections cannot cut verified users' live channels. Call it
 * once the stream's answer has started; nothing to undo (the mark goes with the socket).
 */
export function markConnection(socket: Socket, role: ConnectionRole): void {
  const state = tracked.get(socket);
  if (state) state.role = role;
}

/** Node's keep-alive timeout when the server is not under pressure (its own default). */
const KEEP_ALIVE_MS = 5000;
/** An idle keep-alive connection's timeout under pressure: long enough for a page's next call. */
const KEEP_ALIVE_UNDER_PRESSURE_MS = 1000;

/**
 * The cost of keeping a connection, higher is shed first: a request in flight or a verified
 * stream earns its place; an idle keep-alive connection (or one whose headers have not
 * arrived yet) earns nothing, more so when its last answer was a 429, and more still the
 * more connections its address holds (a legitimate client holds a handful).
 */
function costOf(state: Tracked, perAddress: Map<string, number>, now: number): number {
  if (state.role === 'streaming-verified') return -1;
  if (state.busy > 0 || state.role === 'streaming') return 0;
  const held = perAddress.get(state.address) ?? 1;
  return 1 + (state.limited ? 1_000_000 : 0) + held * 1000 + Math.min(999, Math.floor((now - state.idleSince) / 100));
}

/**
 * Connection admission with shedding (issue 27: 17 addresses holding keep-alive connections
 * filled the 2 048 slots and locked everyone else out). Past `maxConnections` a new
 * connection is not refused while a cheaper one can go: the connection that costs most and
 * earns least ({@link costOf}) is closed to make room. Past half the cap, idle keep-alive
 * connections time out after 1 s instead of 5 s. A connection is refused only when every
 * open one is busy, or over its address's own cap.
 * Installs itself as the server's `connection` listener (Node's own HTTP listener runs after it).
 */
export function installShedding(server: Server, maxConnections: number, perAddressCap: number): void {
  const open = new Set<Socket>();
  const perAddress = new Map<string, number>();
  const http = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  const pressure = () => {
    server.keepAliveTimeout = open.size > maxConnections / 2 ? KEEP_ALIVE_UNDER_PRESSURE_MS : KEEP_ALIVE_MS;
  };
  const shedOne = (now: number): boolean => {
    let victim: Socket | null = null;
    let worst = 0;
    for (const socket of open) {
      const state = tracked.get(socket);
      if (!state) continue;
      const cost = costOf(state, perAddress, now);
      if (cost > worst) {
        worst = cost;
        victim = socket;
      }
    }
    if (!victim) return false;
    // destroy() frees the slot at once ('close' follows on the next tick): forget it now.
    forget(victim);
    victim.destroy();
    return true;
  };
  const forget = (socket: Socket) => {
    if (!open.delete(socket)) return;
    const state = tracked.get(socket)!;
    const left = (perAddress.get(state.address) ?? 1) - 1;
    if (left > 0) perAddress.set(state.address, left);
    else perAddress.delete(state.address);
    pressure();
  };
  server.on('connection', (socket: Socket) => {
    const address = addressKey(socket.remoteAddress ?? 'unknown');
    const held = perAddress.get(address) ?? 0;
    if (held >= perAddressCap || (open.size >= maxConnections && !shedOne(Date.now()))) {
      socket.destroy();
      return;
    }
    tracked.set(socket, { address, busy: 0, idleSince: Date.now(), limited: false, role: null });
    open.add(socket);
    perAddress.set(address, held + 1);
    pressure();
    socket.once('close', () => forget(socket));
    for (const listener of http) listener.call(server, socket);
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const state = tracked.get(req.socket);
    if (!state) return;
    state.busy += 1;
    res.once('close', () => {
      state.busy = Math.max(0, state.busy - 1);
      state.idleSince = Date.now();
      state.limited = res.statusCode === 429;
    });
  });
}
