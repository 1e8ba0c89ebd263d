import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SupportStore } from '../store/conversation-model.js';
import type { HaloLogger, IdentityResultListener, ProjectConfig } from '../types.js';
import { pathOf } from '../http/http.js';
import { safeLog } from '../ops/safe-log.js';
import { checkOperatorToken } from './admin-access.js';
import { createAdminApi } from './admin-api.js';
import { createAdminOperations, type AdminOperations } from './admin-operations.js';
import { isAdminPagePath, serveAdminPage } from './admin-page.js';
import type { AdminStore } from './admin-store.js';
import { createIdentityCounter, type IdentityCounter } from './identity-counter.js';
import { createMemoryAdminStore } from './memory-admin-store.js';
import { createSqlAdminStore, type AdminSqlClient } from './sql-admin-store.js';
import { createSettingsSource, seedProjects, SETTINGS_REFRESH_MS } from './settings-source.js';

/** The security-settings surface of the reference server (`startHaloServer({ admin })`). */
export interface AdminServerOptions {
  /**
   * The operator token the page and the CLI send as `Authorization: Bearer …`; the CLI's
   * `serve` passes `HALO_ADMIN_TOKEN`. Without it `/admin` and `/api/admin/…` answer 404,
   * while the stored settings still apply. At least 16 characters.
   */
  token?: string;
  /**
   * Where settings, the audit log and the report's counts live.
   * @default the conversation store's database (`createSqlAdminStore(store.client)`) when it is a SQL store, else `createMemoryAdminStore()`
   */
  store?: AdminStore;
  /** Origins besides the server's own whose page may change settings (a proxy's public origin). @default [] */
  trustedOrigins?: string[];
  /** How often stored settings are reloaded: the delay before another instance's change applies here. @default 2000 */
  refreshMs?: number;
  /** How often the report's counts are written. @default 10_000 */
  flushMs?: number;
  /** Another way in besides the token: resolves the audit log's name of the caller (an admin agent's session), or null. */
  authenticate?: (req: IncomingMessage) => Promise<string | null>;
}

/**
 * The admin surface, for a server of your own (`startHaloServer({ admin })` wires it for you):
 * give `projects` and `onIdentityResult` to `createHaloApi`, and let `handle` answer first.
 */
export interface AdminSurface {
  /** The live project list, read from the store: pass it as `createHaloApi({ projects })`. */
  projects: ProjectConfig[];
  /** The report's counter: pass it as `createHaloApi({ onIdentityResult })`. */
  onIdentityResult: IdentityResultListener;
  counter: IdentityCounter;
  /** The operations behind the API (for a server's own controls, e.g. the demo's buttons); call `refresh()` after one. */
  operations: AdminOperations;
  /** Reloads the live project list now. */
  refresh: () => Promise<void>;
  /** Answers `/admin…` and `/api/admin/…`; returns false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): Promise<void>;
}

/** The conversation store's SQL client when it has one (the PostgreSQL and embedded stores do), so settings share its database. */
function defaultStore(conversationStore: unknown): AdminStore {
  const client = (conversationStore as { client?: Partial<AdminSqlClient> } | null | undefined)?.client;
  return client && typeof client.query === 'function' && typeof client.transaction === 'function'
    ? createSqlAdminStore(client as AdminSqlClient)
    : createMemoryAdminStore();
}

/**
 * Prepares the admin surface: copies the config's projects into the store (once), loads the
 * live project list from it, and starts the report counter.
 */
export async function createAdminSurface(
  options: AdminServerOptions,
  projects: ProjectConfig[],
  logger: HaloLogger = console,
  conversationStore?: unknown,
): Promise<AdminSurface> {
  if (options.token !== undefined) checkOperatorToken(options.token);
  const store = options.store ?? defaultStore(conversationStore);
  for (const widgetKey of await seedProjects(store, projects)) {
    safeLog(logger, 'warn', () => [
      `[halo] ${widgetKey}: the stored security settings apply (changed through /admin); the config file's mode, secrets, origins or ai section for it are ignored.`,
    ]);
  }
  // A database that is down fails every reload (every 2 s) and flush: one line a minute per kind is enough.
  const onError = (what: string) => {
    let last = -Infinity;
    return (error: unknown) => {
      if (Date.now() - last < 60_000) return;
      last = Date.now();
      safeLog(logger, 'error', () => [`[halo] ${what}:`, error instanceof Error ? error.message : typeof error]);
    };
  };
  const source = await createSettingsSource(store, {
    refreshMs: options.refreshMs ?? SETTINGS_REFRESH_MS,
    onError: onError('could not reload the security settings (the last ones stay in force)'),
  });
  const counter = createIdentityCounter(store, {
    flushMs: options.flushMs,
    onError: onError('could not write the identity report counts (kept for the next try)'),
  });
  const api = createAdminApi({
    token: options.token,
    store,
    counter,
    trustedOrigins: options.trustedOrigins,
    authenticate: options.authenticate,
    onChange: source.refresh,
    logger,
    aiUsage: (conversationStore as Pick<SupportStore, 'aiUsage'> | undefined)?.aiUsage?.bind(conversationStore),
  });
  const enabled = Boolean(options.token) || Boolean(options.authenticate);
  return {
    projects: source.projects,
    onIdentityResult: counter.record,
    counter,
    operations: createAdminOperations(store),
    refresh: source.refresh,
    handle(req, res) {
      const path = pathOf(req.url ?? '/');
      if (path.startsWith('/api/admin/') || path === '/api/admin') {
        api(req, res);
        return true;
      }
      if (isAdminPagePath(path) && (req.method === 'GET' || req.method === 'HEAD')) {
        serveAdminPage(res, path, req.method === 'HEAD', enabled);
        return true;
      }
      return false;
    },
    close: async () => {
      source.close();
      await counter.close();
    },
  };
}
