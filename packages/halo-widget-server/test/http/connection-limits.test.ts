// startHaloServer's connection limits: requests must arrive in time, and one address cannot hold every connection.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHaloServer, type HaloServer } from '../../src/index.js';
import { silentLogger } from '../../../../test/helpers/server.js';

const KEY = 'ab_test_connlimits';
let server: HaloServer | null = null;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = null;
});

function open(url: string, localAddress = '127.0.0.1'): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ port: Number(port), host: hostname, localAddress });
    sockets.push(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with what the server sent once it closes the connection. */
function closed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', () => undefined);
    if (socket.destroyed) resolve(text);
    else socket.on('close', () => resolve(text));
  });
}

/** A well-formed history call from `localAddress`; resolves with the status. */
function call(url: string, localAddress: string): Promise<number> {
  const body = JSON.stringify({ widget_key: KEY, visitor_id: `v-${localAddress}` });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/sdk/history`,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('startHaloServer connection limits', () => {
  it('closes a connection whose headers do not arrive within headersTimeoutMs', async () => {
    server = await startHaloServer({
      projects: [{ widgetKey: KEY }],
      logger: silentLogger(),
      headersTimeoutMs: 200,
      requestTimeoutMs: 400,
    });
    const socket = await open(server.url);
    socket.write('POST /api/sdk/history HTTP/1.1\r\nHost: x\r\n');
    await closed(socket);
    expect(socket.destroyed).toBe(true);
  });

  it('closes a connection whose body does not arrive within requestTimeoutMs, and keeps serving', async () => {
    server = await startHaloServer({
      projects: [{ widgetKey: KEY }],
      logger: silentLogger(),
      headersTimeoutMs: 200,
      requestTimeoutMs: 400,
    });
    const socket = await open(server.url);
    socket.write('POST /api/sdk/history HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n{');
    await closed(socket);
    expect(await call(server.url, '127.0.0.1')).toBe(200);
  });

  it('closes connections past maxConnectionsPerAddress at once; other addresses are served; the address is served again once its connections close', async () => {
    server = await startHaloServer({ projects: [{ widgetKey: KEY }], logger: silentLogger(), maxConnectionsPerAddress: 3 });
    const held = await Promise.all([1, 2, 3].map(() => open(server!.url, '127.0.0.3')));
    const extra = await open(server.url, '127.0.0.3');
    await closed(extra);
    expect(extra.destroyed).toBe(true);
    expect(held.some((socket) => socket.destroyed)).toBe(false);
    expect(await call(server.url, '127.0.0.4')).toBe(200);
    await Promise.all(held.map((socket) => (socket.destroy(), closed(socket))));
    // The server sees the closes a moment after the client does: ask until it has.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) status = await call(server.url, '127.0.0.3').catch(() => 0);
    expect(status).toBe(200);
  });

  it('refuses nonsense limits', async () => {
    await expect(startHaloServer({ projects: [], logger: silentLogger(), maxConnections: 0 })).rejects.toThrow(/maxConnections/);
  });
});
