import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createAdminSurface, type AdminServerOptions } from '../admin/admin-server.js';
import { createHaloApi } from '../sdk-api/create-halo-api.js';
import type { HaloApiConfig, HaloLogger } from '../types.js';
import { applyConnectionLimits, CONNECTIONS_CHECKING_INTERVAL_MS, type ConnectionLimits } from './connection-limits.js';
import { answerClientError, EXPOSED, pathOf } from './http.js';
import { safeLog } from '../ops/safe-log.js';

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
}

/** A running reference API. */
export interface HaloServer {
  /** `http://host:port`, without a trailing slash. */
  url: string;
  /** Stops listening and closes every connection, idle keep-alive ones included. */
  close(): Promise<void>;
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
  const admin = options.admin ? await createAdminSurface(options.admin, options.projects, logger, options.store) : null;
  const api = createHaloApi(admin ? { ...options, projects: admin.projects, onIdentityResult: admin.onIdentityResult } : options);
  const root = packageRoot();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    // The admin surface first: its paths never reach the SDK API (whose preflight answers any path).
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
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            // Channels end with a reason and a retry hint before their sockets are closed.
            api.closeChannels(1000);
            server.close((error) => {
              if (error) fail(error);
              // AI replies in flight get their fallback stored before the caller closes the store.
              else
                void api.ai
                  .close()
                  .then(() => admin?.close())
                  .then(done, fail);
            });
            server.closeAllConnections();
          }),
      });
    });
  });
}
