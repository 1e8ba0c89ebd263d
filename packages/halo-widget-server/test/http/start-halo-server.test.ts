// startHaloServer: the scripts next to the API, the favicon, JSON answers to what Node's parser refuses, and a close() that really closes.
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startHaloServer } from '../../src/index.js';
import { silentLogger, useHaloServer } from '../../../../test/helpers/server.js';

const dist = new URL('../../../halo-widget/dist/', import.meta.url);

/** Sends raw bytes on a fresh connection and resolves with everything read until the server closes it. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.write(bytes);
  });
}

/** The status, headers (lower-cased) and JSON body of a raw HTTP answer. */
function parseAnswer(text: string): { status: number; headers: Record<string, string>; body: any } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: body ? JSON.parse(body) : null };
}

describe('startHaloServer', () => {
  it('listens on 127.0.0.1 and a free port by default', async () => {
    const server = await startHaloServer({ projects: [], logger: silentLogger() });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await server.close();
    }
  });

  it('serves /halo.js and /snippet.js byte-identical to dist/, cacheable, for any origin', async () => {
    if (!existsSync(new URL('halo.js', dist))) throw new Error('dist/ is missing: run `npm run build` first');
    const server = await startHaloServer({ projects: [], logger: silentLogger() });
    try {
      for (const file of ['halo.js', 'snippet.js']) {
        const response = await fetch(`${server.url}/${file}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
        expect(response.headers.get('Cache-Control')).toBe('public, max-age=300');
        expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*');
        expect(response.headers.get('Access-Control-Expose-Headers')).toBe('Date, Halo-Identity, Retry-After');
        expect(Buffer.from(await response.arrayBuffer()).equals(readFileSync(new URL(file, dist)))).toBe(true);
        const head = await fetch(`${server.url}/${file}`, { method: 'HEAD' });
        expect(head.status).toBe(200);
        expect(await head.text()).toBe('');
      }
    } finally {
      await server.close();
    }
  });

  it('answers /favicon.ico with 204', async () => {
    const server = await startHaloServer({ projects: [], logger: silentLogger() });
    try {
      const response = await fetch(`${server.url}/favicon.ico`);
      expect(response.status).toBe(204);
    } finally {
      await server.close();
    }
  });

  it('close() closes idle keep-alive connections and resolves promptly', async () => {
    const server = await startHaloServer({ projects: [{ widgetKey: 'ab_test_close' }], logger: silentLogger() });
    const socketClosed = new Promise<void>((resolve, reject) => {
      const req = request(`${server.url}/favicon.ico`, { headers: { Connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => {
          req.socket?.once('close', () => resolve());
          // The connection is now idle and kept alive; only close() can end it.
          void server.close();
        });
      });
      req.on('error', reject);
      req.end();
    });
    const started = Date.now();
    await socketClosed;
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(fetch(`${server.url}/favicon.ico`)).rejects.toThrow();
  });

  it('refuses an invalid config before listening', async () => {
    await expect(startHaloServer({ projects: [{ widgetKey: '' }], logger: silentLogger() })).rejects.toThrow(/widgetKey/);
  });
});

describe('startHaloServer, where Node would answer by itself', () => {
  const api = useHaloServer(() => ({ projects: [] }));

  it('answers a malformed request line 400 invalid_request in JSON and closes the connection', async () => {
    const answer = parseAnswer(await rawExchange(api.url, 'NOT AN HTTP REQUEST\r\n\r\n'));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['access-control-expose-headers']).toBe('Date, Halo-Identity, Retry-After');
    expect((await fetch(`${api.url}/favicon.ico`)).status).toBe(204);
  });

  it('answers 20 KiB of headers 413 payload_too_large in JSON, not 431', async () => {
    const request = `POST /api/sdk/chat HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20 * 1024)}\r\n\r\n`;
    const answer = parseAnswer(await rawExchange(api.url, request));
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
    expect(answer.headers.connection).toBe('close');
    expect((await fetch(`${api.url}/favicon.ico`)).status).toBe(204);
  });

  it('serves a request with an unknown Expect header as usual instead of answering 417', async () => {
    const answer = parseAnswer(await rawExchange(api.url, 'GET /nope HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n'));
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
  });
});
