// Issue item 2 (slow clients), small: many slow-body connections from one address hold at
// most that address's share; a client at another address is served; the server recovers.
// The full figure (5 000 connections, p99) is bench/abuse.mjs's.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaloServer, type HaloServer } from '../../src/index.js';
import { silentLogger } from '../../../../test/helpers/server.js';

const KEY = 'ab_test_slowclients';
let server: HaloServer;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startHaloServer({
    projects: [{ widgetKey: KEY }],
    logger: silentLogger(),
    rateLimit: false,
    maxConnectionsPerAddress: 20,
    requestTimeoutMs: 1500,
    headersTimeoutMs: 1000,
  });
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await server?.close();
});

function slowBody(localAddress: string): Promise<Socket> {
  const { port } = new URL(server.url);
  return new Promise((resolve) => {
    const socket = connect({ port: Number(port), host: '127.0.0.1', localAddress });
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(
        `POST /api/sdk/identify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n{"widget_key":`,
      );
      resolve(socket);
    });
    socket.on('close', () => resolve(socket));
  });
}

function call(localAddress: string): Promise<number> {
  const body = JSON.stringify({ widget_key: KEY, visitor_id: 'well-behaved' });
  return new Promise((resolve) => {
    const req = request(
      `${server.url}/api/sdk/history`,
      { method: 'POST', localAddress, agent: false, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

describe('slow clients', () => {
  it('200 slow-body connections from one address: another address is served throughout, and the attacker’s address after', async () => {
    await Promise.all(Array.from({ length: 200 }, () => slowBody('127.0.0.7')));
    // The server closes every connection past the address's 20 as it accepts it.
    const open = () => sockets.filter((socket) => !socket.destroyed).length;
    for (let i = 0; i < 100 && open() > 20; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(open()).toBeLessThanOrEqual(20);
    const during = await Promise.all(Array.from({ length: 20 }, () => call('127.0.0.8')));
    expect(during.every((status) => status === 200)).toBe(true);
    // The held ones are cut by the request timeout; then the address is served again.
    await Promise.all(
      sockets.map((socket) => (socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.on('close', resolve)))),
    );
    expect(await call('127.0.0.7')).toBe(200);
  });
});
