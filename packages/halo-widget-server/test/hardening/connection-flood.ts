// Attackers that hold connections from many loopback addresses, for the shedding test and bench.
import { connect, type Socket } from 'node:net';

/** Holds `perAddress` connections from each of `addresses`, reopening any the server closes; each sends a tiny request every `everyMs` (0: never, idle or slow-header). */
export function holdConnections(url: string, addresses: string[], perAddress: number, everyMs: number): { stop(): void; opened(): number } {
  const { hostname, port } = new URL(url);
  const sockets = new Set<Socket>();
  let stopped = false;
  let opened = 0;
  const open = (localAddress: string) => {
    if (stopped) return;
    const socket = connect({ host: hostname, port: Number(port), localAddress });
    opened += 1;
    sockets.add(socket);
    let timer: NodeJS.Timeout | null = null;
    socket.on('connect', () => {
      if (everyMs > 0) {
        const send = () => socket.write(`GET /favicon.ico HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
        send();
        timer = setInterval(send, everyMs);
      } else {
        socket.write('GET / HTTP/1.1\r\n'); // headers that never end
      }
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined); // a reset is what shedding does: the close below reopens
    socket.on('close', () => {
      if (timer) clearInterval(timer);
      sockets.delete(socket);
      // Reopen at once, as an attacker would, but not in the same tick (no hot loop).
      setTimeout(() => open(localAddress), 20);
    });
  };
  for (const address of addresses) for (let i = 0; i < perAddress; i += 1) open(address);
  return {
    opened: () => opened,
    stop() {
      stopped = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}
