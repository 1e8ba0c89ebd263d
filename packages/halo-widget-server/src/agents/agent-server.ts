import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkSameOriginJson, createBearerCheck } from '../admin/admin-access.js';
import { jsonBody } from '../admin/admin-api.js';
import { ApiError, pathOf, sendError, sendJson } from '../http/http.js';
import type { TrustProxy } from '../http/client-address.js';
import { safeLog } from '../ops/safe-log.js';
import type { HaloLogger } from '../types.js';
import { inboxRoutes, type InboxRoute } from '../inbox/inbox-api.js';
import { serveInboxEvents } from '../inbox/inbox-events.js';
import { isInboxPagePath, serveInboxPage } from '../inbox/inbox-page.js';
import type { SupportStore } from '../store/conversation-model.js';
import { checkNewAgent, createAgent } from './agent-accounts.js';
import { createAgentAuth, type AgentAuthOptions, type AgentPrincipal } from './agent-auth.js';
import type { AgentStore } from './agent-store.js';
import { createMemoryAgentStore } from './memory-agent-store.js';
import { createSqlAgentStore, type AgentSqlClient } from './sql-agent-store.js';

/** The support team's surface of the reference server (`startHaloServer({ agents })`). */
export interface AgentServerOptions extends Pick<AgentAuthOptions, 'idleMs' | 'maxAgeMs' | 'throttle' | 'now'> {
  /** @default the conversation store's database when it is a SQL store, else in memory */
  store?: AgentStore;
  /** Origins besides the server's own whose page may log in and make changes (behind a proxy). @default [] */
  trustedOrigins?: string[];
}

/**
 * The inbox's store: the conversation store itself (every store implements {@link SupportStore});
 * null for a custom store without the support side, whose inbox routes then answer 404.
 */
function supportStoreOf(store: unknown): SupportStore | null {
  const s = store as Partial<SupportStore> | null | undefined;
  const reads = ['readMessages', 'appendMessage', 'locateConversation', 'updateConversation', 'listConversations', 'getUserPanel'] as const;
  return s && reads.every((name) => typeof s[name] === 'function') && typeof s.notifier?.subscribe === 'function'
    ? (s as SupportStore)
    : null;
}

/** The agent surface: `/api/agent/…`, `/inbox`, and the admin check of an agent's session. */
export interface AgentSurface {
  store: AgentStore;
  /** Answers `/inbox…` and `/api/agent/…`; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** For `/admin`: the audit label of an `admin` account's session or token, else null. */
  adminActor: (req: IncomingMessage) => Promise<string | null>;
}

const PREFIX = '/api/agent/';
const HEADERS = ['Referrer-Policy', 'no-referrer', 'X-Frame-Options', 'DENY'];
/** The audit log's name of an account (plain characters only). */
export const actorName = (p: AgentPrincipal) =>
  `agent ${p.agent.email.replace(/[^\w.@+-]/g, '')}${p.via === 'token' ? ' (API token)' : ''}`;

/**
 * The support team's accounts, logins and inbox. `projectKeys` lists the live widget keys
 * (an account limited to none sees every one of them); `operatorToken` (HALO_ADMIN_TOKEN) may
 * create accounts, for the first admin and for automation.
 */
export function createAgentSurface(
  options: AgentServerOptions & { trustProxy?: TrustProxy; operatorToken?: string },
  conversationStore: unknown,
  projectKeys: () => string[],
  logger: HaloLogger = console,
): AgentSurface {
  const client = (conversationStore as { client?: Partial<AgentSqlClient> } | null | undefined)?.client;
  const store =
    options.store ?? (typeof client?.query === 'function' ? createSqlAgentStore(client as AgentSqlClient) : createMemoryAgentStore());
  const inbox = supportStoreOf(conversationStore);
  const auth = createAgentAuth({ ...options, store });
  const operator = options.operatorToken ? createBearerCheck(options.operatorToken) : null;
  // The open event streams by session (or token) hash, so a logout ends them at once.
  const streams = new Map<string, Set<() => void>>();
  const log = (line: string) => safeLog(logger, 'info', () => [`[halo] ${line}`]);
  const routes: InboxRoute[] = inbox
    ? inboxRoutes(inbox, projectKeys, (agent, action, project, id) =>
        log(`agent ${agent.email}: ${action} on ${project} conversation ${id}`),
      )
    : [];

  /** An admin account, or the operator token (which acts as the bootstrap admin). */
  async function requireAdmin(req: IncomingMessage): Promise<string> {
    const principal = await auth.authenticate(req);
    if (principal?.agent.role === 'admin') return actorName(principal);
    if (principal) throw new ApiError(403, 'forbidden', 'Only an admin account may manage accounts.');
    if (!operator) throw new ApiError(401, 'unauthorized', 'Log in as an admin.');
    operator(req);
    return 'operator token';
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rest = pathOf(req.url ?? '/').slice(PREFIX.length);
    const method = req.method ?? 'GET';
    let body: Record<string, unknown> = {};
    if (method === 'POST') {
      checkSameOriginJson(req, options.trustedOrigins);
      body = await jsonBody(req);
    } else if (method !== 'GET') throw new ApiError(405, 'method_not_allowed', 'Use GET or POST.', undefined, { Allow: 'GET, POST' });
    if (rest === 'login' && method === 'POST') {
      const agent = await auth.login(req, res, body);
      log(`agent ${agent.email}: login`);
      return sendJson(res, 200, { agent }, HEADERS);
    }
    if (rest === 'logout' && method === 'POST') {
      const ended = await auth.logout(req, res);
      // This instance's streams of the session end now; another instance's at its next check.
      if (ended) for (const end of streams.get(ended) ?? []) end();
      res.writeHead(204, HEADERS);
      res.end();
      return;
    }
    if (rest === 'agents') {
      const actor = await requireAdmin(req);
      if (method === 'GET') return sendJson(res, 200, { agents: await store.listAgents() }, HEADERS);
      const agent = await createAgent(store, checkNewAgent(body));
      log(`${actor}: agent.create ${agent.email} (${agent.role})`);
      return sendJson(res, 201, { agent }, HEADERS);
    }
    if (rest === 'me' && method === 'GET') {
      // The page's first question ("am I signed in?"): answered, not refused, so it logs no error.
      const principal = await auth.authenticate(req);
      return sendJson(res, 200, { agent: principal?.agent ?? null, inbox: Boolean(inbox) }, HEADERS);
    }
    const principal = await auth.require(req);
    if (!inbox) throw new ApiError(404, 'not_found', 'This server’s store has no inbox support.');
    if (rest === 'events' && method === 'GET') {
      const end = serveInboxEvents(
        req,
        res,
        principal.agent,
        inbox.notifier,
        async () => (await auth.authenticate(req)) !== null,
        (error) => safeLog(logger, 'error', () => ['[halo] inbox stream:', error instanceof Error ? error.message : typeof error]),
      );
      const set = streams.get(principal.credential) ?? new Set();
      streams.set(principal.credential, set.add(end));
      res.on('close', () => {
        set.delete(end);
        if (!set.size) streams.delete(principal.credential);
      });
      return;
    }
    const matching = routes.filter((r) => r.pattern.test(rest));
    const route = matching.find((r) => r.method === method);
    if (!route) throw new ApiError(matching.length ? 405 : 404, matching.length ? 'method_not_allowed' : 'not_found', 'Not found.');
    const [status, answer] = await route.run({ req, agent: principal.agent, params: route.pattern.exec(rest)!.slice(1), body });
    sendJson(res, status, answer, HEADERS);
  }

  return {
    store,
    adminActor: async (req) => {
      const principal = await auth.authenticate(req);
      return principal?.agent.role === 'admin' ? actorName(principal) : null;
    },
    handle(req, res) {
      const path = pathOf(req.url ?? '/');
      if (isInboxPagePath(path) && (req.method === 'GET' || req.method === 'HEAD')) {
        serveInboxPage(res, path, req.method === 'HEAD');
        return true;
      }
      if (!path.startsWith(PREFIX)) return false;
      handle(req, res).catch((error: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (error instanceof ApiError) {
          if (error.status === 413) res.setHeader('Connection', 'close');
          return sendError(res, error, HEADERS);
        }
        if ((error as { name?: unknown } | null)?.name === 'StoreUnavailableError')
          return sendError(
            res,
            new ApiError(503, 'service_unavailable', 'The database is unavailable; try again shortly.', undefined, { 'Retry-After': '5' }),
            HEADERS,
          );
        sendError(res, new ApiError(500, 'internal_error', 'Internal error.'), HEADERS);
        safeLog(logger, 'error', () => [
          '[halo] agent API error:',
          error instanceof Error ? `${error.name}: ${error.message}` : typeof error,
        ]);
      });
      return true;
    },
  };
}
