import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectProcessMetrics, metricsRegistry } from './metrics.js';
import { safeLog } from './safe-log.js';
import type { HaloLogger } from '../types.js';

/** Where Prometheus scrapes: a listener of its own, so `/metrics` is never on the public port. */
export interface MetricsListenOptions {
  /** @default 0: any free port */
  port?: number;
  /** @default '127.0.0.1': keep it off the internet (the series name projects and volumes) */
  host?: string;
}

/** Starts the `/metrics` listener; answers its URL and how to close it. */
export async function startMetricsServer(options: MetricsListenOptions, logger: HaloLogger): Promise<{ url: string; server: Server }> {
  collectProcessMetrics();
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: GET /metrics\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': metricsRegistry.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        safeLog(logger, 'error', () => ['[halo] /metrics could not be built:', error]);
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics failed\n');
      },
    );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, server };
}
