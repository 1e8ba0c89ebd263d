import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HaloLogger } from '../types.js';
import { ApiError, pathOf, readBody, sendError, sendJson } from '../http/http.js';
import { safeLog } from '../ops/safe-log.js';
import { checkSameOriginJson, createBearerCheck } from './admin-access.js';
import { createAdminOperations, effectiveMode, parseSettingsPatch } from './admin-operations.js';
import { parseAiSection } from './admin-ai.js';
import { REPORT_RETENTION_MS, USERS_PER_BUCKET, type AdminStore } from './admin-store.js';
import type { IdentityCounter } from './identity-counter.js';
import { buildIdentityReport } from './identity-report.js';
import { BUCKET_MS } from './identity-counter.js';
import type { AiUsageTotal } from '../store/conversation-model.js';

const PREFIX = '/api/admin/';
const MAX_BODY = 16 * 1024;
// No CORS header is ever sent: another site's script cannot read an answer.
const HEADERS = ['Referrer-Policy', 'no-referrer', 'X-Frame-Options', 'DENY'];

/** Options of {@link createAdminApi}. */
export interface AdminApiOptions {
  /** The operator token (`HALO_ADMIN_TOKEN`); without one every admin path answers 404. */
  token: string | undefined;
  store: AdminStore;
  /** The live counter, flushed before a report is read so it includes this instance's latest requests. */
  counter?: IdentityCounter;
  /** Origins besides the server's own from which the page may change settings (behind a proxy). @default [] */
  trustedOrigins?: string[];
  /** Another way in besides the token: resolves the audit log's name of the caller (an admin agent's session), or null. */
  authenticate?: (req: IncomingMessage) => Promise<string | null>;
  /** Awaited after every change, so this instance applies it before answering instead of after the cache delay. */
  onChange?: () => Promise<void> | void;
  /** @default console */
  logger?: HaloLogger;
  /** @default Date.now */
  now?: () => number;
  /** The project's summed AI usage (the conversation store's `aiUsage`); without it the route answers zeros. */
  aiUsage?: (widgetKey: string) => Promise<AiUsageTotal>;
}

type Route = {
  method: string;
  pattern: RegExp;
  run: (req: IncomingMessage, params: string[], body: Record<string, unknown>) => Promise<[number, unknown]>;
};

/** The account a request was authenticated as (an agent), named in the audit log instead of a label. */
const accounts = new WeakMap<IncomingMessage, string>();

/** `Halo-Operator: <label>` (the page and the CLI send one) and the peer address: the audit log's "who". */
function actorOf(req: IncomingMessage): string {
  const account = accounts.get(req);
  if (account) return `${account} from ${req.socket.remoteAddress ?? 'unknown'}`;
  const label =
    String(req.headers['halo-operator'] ?? 'operator')
      .replace(/[^\w .@:-]/g, '')
      .slice(0, 64) || 'operator';
  return `${label} from ${req.socket.remoteAddress ?? 'unknown'}`;
}

/** A JSON object body of at most 16 KiB; anything else is a 400 (or 413). */
export async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = (await readBody(req, MAX_BODY)).toString('utf8');
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ApiError(400, 'invalid_request', `The body is not valid JSON (${(error as Error).message.slice(0, 80)}).`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ApiError(400, 'invalid_request', 'The body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

/**
 * The admin JSON API under `/api/admin/…`: projects, secrets, mode, origins, token lifetime,
 * the audit log and the identity report. Every call needs the operator's bearer token; a
 * change also needs a same-origin JSON request ({@link checkSameOriginJson}). A secret's
 * value is answered once, by the call that generates it, and never logged.
 */
export function createAdminApi(options: AdminApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const logger = options.logger ?? console;
  const now = options.now ?? Date.now;
  const ops = createAdminOperations(options.store, () => new Date(now()));
  const authorize = options.token ? createBearerCheck(options.token, logger) : null;
  const changed = async (req: IncomingMessage, action: string, widgetKey: string) => {
    await options.onChange?.();
    // The operator label is filtered to plain characters; never a body value, never a secret.
    safeLog(logger, 'info', () => [`[halo] admin: ${action} on ${widgetKey} by ${actorOf(req)}`]);
  };
  const key = '([A-Za-z0-9_-]{1,128})';
  const routes: Route[] = [
    { method: 'GET', pattern: /^projects$/, run: async () => [200, { projects: await ops.listProjects() }] },
    {
      method: 'POST',
      pattern: /^projects$/,
      run: async (req, _, body) => {
        if (body.widgetKey !== undefined && typeof body.widgetKey !== 'string')
          throw new ApiError(400, 'invalid_request', '`widgetKey` must be a string.');
        const project = await ops.createProject(actorOf(req), body.widgetKey as string | undefined);
        await changed(req, 'project.create', project.widgetKey);
        return [201, { project }];
      },
    },
    { method: 'GET', pattern: new RegExp(`^projects/${key}$`), run: async (_, [k]) => [200, { project: await ops.getProject(k!) }] },
    {
      method: 'PATCH',
      pattern: new RegExp(`^projects/${key}/settings$`),
      run: async (req, [k], body) => {
        const project = await ops.updateSettings(k!, parseSettingsPatch(body), actorOf(req));
        await changed(req, 'settings.update', k!);
        return [200, { project }];
      },
    },
    {
      // The project's AI replies (docs/ai.md): the section itself as the body; DELETE clears it.
      method: 'PUT',
      pattern: new RegExp(`^projects/${key}/ai$`),
      run: async (req, [k], body) => {
        const project = await ops.setAi(k!, parseAiSection(body), actorOf(req));
        await changed(req, 'ai.set', k!);
        return [200, { project }];
      },
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^projects/${key}/ai$`),
      run: async (req, [k]) => {
        const project = await ops.setAi(k!, null, actorOf(req));
        await changed(req, 'ai.clear', k!);
        return [200, { project }];
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^projects/${key}/secrets$`),
      run: async (req, [k]) => {
        const { secret, record, project } = await ops.generateSecret(k!, actorOf(req));
        await changed(req, `secret.generate ${record.id}`, k!);
        return [201, { secret, secretId: record.id, project, note: 'Shown once: store it on your backend now.' }];
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^projects/${key}/secrets/(sec_[0-9a-f]{1,32})/retire$`),
      run: async (req, [k, id]) => {
        const project = await ops.retireSecret(k!, id!, actorOf(req));
        await changed(req, `secret.retire ${id}`, k!);
        return [200, { project }];
      },
    },
    {
      // The usage the model reported, summed over the project's stored replies (cost-bounds).
      method: 'GET',
      pattern: new RegExp(`^projects/${key}/ai-usage$`),
      run: async (_, [k]) => {
        await ops.getProject(k!);
        return [200, { ai_usage: (await options.aiUsage?.(k!)) ?? { replies: 0, prompt_tokens: 0, completion_tokens: 0 } }];
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^projects/${key}/audit$`),
      run: async (req, [k]) => {
        const limit = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('limit') ?? 50);
        return [200, { audit: await ops.listAudit(k!, Number.isFinite(limit) ? limit : 50) }];
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^projects/${key}/identity-report$`),
      run: async (_, [k]) => {
        const project = await options.store.getProject(k!);
        if (!project) throw new ApiError(404, 'not_found', 'No such project.');
        await options.counter?.flush();
        const at = now();
        const rows = await options.store.readIdentity(k!, at - (at % BUCKET_MS) - REPORT_RETENTION_MS);
        return [200, buildIdentityReport(k!, effectiveMode(project), rows, at, USERS_PER_BUCKET)];
      },
    },
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url ?? '/');
    if ((!authorize && !options.authenticate) || !path.startsWith(PREFIX)) throw new ApiError(404, 'not_found', 'Not found.');
    const account = await options.authenticate?.(req);
    // The page's first question: is there an admin account's session (from /inbox)? Never refused.
    if (path === `${PREFIX}session` && req.method === 'GET') return sendJson(res, 200, { account: account ?? null }, HEADERS);
    if (account) accounts.set(req, account);
    else if (authorize) authorize(req);
    else throw new ApiError(401, 'unauthorized', 'Log in as an admin at /inbox.');
    const rest = path.slice(PREFIX.length);
    const matching = routes.filter((route) => route.pattern.test(rest));
    if (!matching.length) throw new ApiError(404, 'not_found', 'Not found.');
    const route = matching.find((r) => r.method === req.method);
    if (!route)
      throw new ApiError(405, 'method_not_allowed', `Use ${matching.map((r) => r.method).join(' or ')}.`, undefined, {
        Allow: matching.map((r) => r.method).join(', '),
      });
    let body: Record<string, unknown> = {};
    if (route.method !== 'GET') {
      checkSameOriginJson(req, options.trustedOrigins);
      body = await jsonBody(req);
    }
    const [status, answer] = await route.run(req, route.pattern.exec(rest)!.slice(1), body);
    sendJson(res, status, answer, HEADERS);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof ApiError) {
        if (error.status === 413) res.setHeader('Connection', 'close');
        sendError(res, error, HEADERS);
        return;
      }
      // The database is unreachable (the SQL stores' StoreUnavailableError, known by name): try again soon.
      if ((error as { name?: unknown } | null)?.name === 'StoreUnavailableError') {
        sendError(
          res,
          new ApiError(503, 'service_unavailable', 'The settings database is unavailable; try again shortly.', undefined, {
            'Retry-After': '5',
          }),
          HEADERS,
        );
        return;
      }
      sendError(res, new ApiError(500, 'internal_error', 'Internal error.'), HEADERS);
      // Store errors (a database's) may quote a query's parameters: only the message is logged.
      safeLog(logger, 'error', () => [
        '[halo] admin API error:',
        error instanceof Error ? `${error.name}: ${error.message.replace(/ha_secret_[A-Za-z0-9_-]+/g, '[redacted]')}` : typeof error,
      ]);
    });
  };
}
