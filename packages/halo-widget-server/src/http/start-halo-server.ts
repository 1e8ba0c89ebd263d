import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createAdminSurface, type AdminServerOptions, type AdminSurface } from '../admin/admin-server.js';
import { createAgentSurface, type AgentServerOptions } from '../agents/agent-server.js';
import { createHaloApi } from '../sdk-api/create-halo-api.js';
import type { HaloApiConfig, HaloLogger } from '../types.js';
import { applyConnectionLimits, CONNECTIONS_CHECKING_INTERVAL_MS, type ConnectionLimits } from './connection-limits.js';
import { answerClientError, EXPOSED, pathOf } from './http.js';
import { safeLog } from '../ops/safe-log.js';
import { handleHealth, storeProbe, type ReadinessProbe } from '../ops/health.js';
import { metrics, routeOf } from '../ops/metrics.js';
import { startMetricsServer, type MetricsListenOptions } from '../ops/metrics-server.js';
import { createDrain, type ShutdownHook, type ShutdownOptions } from '../ops/shutdown.js';

/** {@link HaloApiConfig} plus where to listen and the connection limits (on by default). */
export interface StartHaloServerOptions extends HaloApiConfig, ConnectionLimits {
  /** @default 0: any free port */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /**
   * The security settings page (`/admin`), its JSON API (`/api/admin/…`) and the rollout
   * report. With it, projects are read from `admin.store` (seeded once from `projects`) and
   * changes apply without a restart. @default none: projects come from `projects` only
   */
  admin?: AdminServerOptions;
  /**
   * The support team's accounts and the inbox (`/inbox`, `/api/agent/…`). An `admin` account's
   * session also opens `/admin`. @default none
   */
  agents?: AgentServerOptions;
  /** Serve Prometheus `/metrics` on a listener of its own (docs/operations.md). @default off */
  metrics?: MetricsListenOptions;
  /** What `/readyz` checks. @default one read through `store` (when given), else always ready */
  ready?: ReadinessProbe;
}

/** A running reference API. */
export interface HaloServer {
  /** `http://host:port`, without a trailing slash. */
  url: string;
  /** Stops listening and closes every connection, idle keep-alive ones included. */
  close(): Promise<void>;
  /** The `/metrics` listener's URL, when `metrics` was given. */
  metricsUrl?: string;
  /**
   * Graceful stop: no new connections, the `onShutdown` hooks run, in-flight calls finish (at
   * most `graceMs`), then every connection closes; requests arriving meanwhile on an open
   * connection get 503 with `Retry-After`. Then closes like `close()`.
   */
  shutdown(options?: ShutdownOptions): Promise<{ unfinished: number }>;
  /** Registers a hook run when `shutdown` starts (the live channel closes its connections there). Answers an unregister function. */
  onShutdown(hook: ShutdownHook): () => void;
}

/** The installed `halo-widget` package's folder, whose dist/ holds the script-tag files. */
function packageRoot(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('halo-widget/package.json'));
  } catch (error) {
    // Not installed beside the service: /halo.js answers a 404 that says what to do.
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

const SCRIPTS: Record<string, string> = { '/halo.js': 'halo.js', '/snippet.js': 'snippet.js' };
// The scripts are public and the same for every page, so any origin may load them.
const STATIC_HEADERS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': EXPOSED };

function serveScript(res: ServerResponse, root: string | null, file: string, head: boolean, logger: HaloLogger): void {
  let bytes: Buffer | null = null;
  if (root) {
    try {
      // Read per request: byte-identical to dist/ even after a rebuild.
      bytes = readFileSync(join(root, 'dist', file));
    } catch (error) {
      // Not built, or a rebuild is deleting dist/ right now: a 404 that says what to do.
      // Anything else (permissions, a disk error) is the operator's to see.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        safeLog(logger, 'error', () => [`[halo] could not read dist/${file}:`, error]);
    }
  }
  if (!bytes) {
    res.writeHead(404, { ...STATIC_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(`${file} is not built: install and build the halo-widget package.\n`);
    return;
  }
  res.writeHead(200, {
    ...STATIC_HEADERS,
    'Content-Type': 'text/javascript; charset=utf-8',
    'Content-Length': bytes.length,
    'Cache-Control': 'public, max-age=300',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(head ? undefined : bytes);
}

/**
 * Starts the reference Halo API on `host:port`, also serving `/halo.js` and `/snippet.js`
 * from `dist/` so a page can load the widget from the API's origin.
 */
export async function startHaloServer(options: StartHaloServerOptions): Promise<HaloServer> {
  const logger = options.logger ?? console;
  // The agents' project list is the admin surface's live one (read when needed: it is created next).
  const agents = options.agents
    ? createAgentSurface(
        { ...options.agents, trustProxy: options.trustProxy, operatorToken: options.admin?.token },
        // The inbox writes where the live channel reads: one store.
        options.store,
        (): string[] => (admin?.projects ?? options.projects).map((p) => p.widgetKey),
        logger,
      )
    : null;
  const admin: AdminSurface | null = options.admin
    ? await createAdminSurface({ authenticate: agents?.adminActor, ...options.admin }, options.projects, logger, options.store)
    : null;
  const api = createHaloApi(admin ? { ...options, projects: admin.projects, onIdentityResult: admin.onIdentityResult } : options);
  const root = packageRoot();
  const probe = options.ready ?? (options.store ? storeProbe(options.store) : async () => undefined);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const route = routeOf(pathOf(url));
    const stopTimer = metrics.httpDuration.startTimer({ route });
    res.once('finish', () => {
      stopTimer();
      metrics.httpRequests.inc({ route, status: String(res.statusCode) });
    });
    if (handleHealth(req, res, pathOf(url), probe, () => drain.draining())) return;
    if (!drain.admit(req, res)) {
      // Draining: this connection was open before; the client retries elsewhere or later.
      res.writeHead(503, {
        ...STATIC_HEADERS,
        'Content-Type': 'application/json; charset=utf-8',
        'Retry-After': String(drain.retryAfterSeconds()),
        Connection: 'close',
      });
      res.end(JSON.stringify({ error: { code: 'service_unavailable', message: 'The server is shutting down; try again shortly.' } }));
      return;
    }
    // The admin surface first: its paths never reach the SDK API (whose preflight answers any path).
    if (agents?.handle(req, res)) return;
    if (admin?.handle(req, res)) return;
    // API calls go straight through: only the two scripts and the favicon are served here.
    if (url.startsWith('/api/')) return api(req, res);
    const path = pathOf(url);
    const script = SCRIPTS[path];
    if (script && (req.method === 'GET' || req.method === 'HEAD')) return serveScript(res, root, script, req.method === 'HEAD', logger);
    if (path === '/favicon.ico') {
      res.writeHead(204, { ...STATIC_HEADERS, 'Cache-Control': 'public, max-age=86400' });
      res.end();
      return;
    }
    api(req, res);
  };
  const server = createServer({ connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS }, handler);
  applyConnectionLimits(server, options, Boolean(options.trustProxy));
  // Read by the handler, which only runs once the server listens.
  const drain = createDrain(server, logger);
  // Wire protocol: no status but the protocol's. Node would answer an unknown `Expect` 417 and what
  // its parser refuses with a bare 400/431/408; the first is served as usual instead
  // (RFC 9110 lets a server ignore it), the second answered in JSON.
  server.on('checkExpectation', handler);
  server.on('clientError', answerClientError);
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      void admin?.close();
      reject(error);
    });
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const started = options.metrics ? startMetricsServer(options.metrics, logger) : Promise.resolve(null);
      started.then(
        (metricsServer) => {
          let closed: Promise<void> | null = null;
          const close = (): Promise<void> =>
            (closed ??= new Promise<void>((done, fail) => {
              // Channels end with a reason and a retry hint before their sockets are closed.
              api.closeChannels(1000);
              const finish = (error?: Error) => {
                if (error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') fail(error);
                // AI replies in flight get their fallback stored before the caller closes the store.
                else
                  void api.ai
                    .close()
                    .then(() => admin?.close())
                    .then(() => new Promise<void>((ok) => (metricsServer ? metricsServer.server.close(() => ok()) : ok())))
                    .then(done, fail);
              };
              if (server.listening) server.close(finish);
              else finish();
              server.closeAllConnections();
            }));
          // A graceful shutdown ends the live channels first, with the drain's retry hint.
          drain.onShutdown(({ retryAfterSeconds }) => api.closeChannels(retryAfterSeconds * 1000));
          resolve({
            url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
            metricsUrl: metricsServer?.url,
            close,
            shutdown: async (shutdownOptions) => {
              const result = await drain.shutdown(shutdownOptions);
              await close();
              return result;
            },
            onShutdown: (hook) => drain.onShutdown(hook),
          });
        },
        (error: unknown) => {
          server.close();
          void admin?.close();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  });
}
