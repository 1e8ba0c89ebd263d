// startHaloServer: the scripts next to the API, the favicon, and a close() that really closes.
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startHaloServer } from '../../src/server/index.js';
import { silentLogger } from '../helpers/server.js';

const dist = new URL('../../dist/', import.meta.url);

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
