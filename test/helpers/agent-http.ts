// A real in-process server with the agent surface on a real conversation store (memory unless
// an engine is named: embedded PGlite or PostgreSQL), a raw HTTP client that can pick its source
// address and send any header, and `chat`: conversations are made through the SDK's own API.
import { request } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { startHaloServer, type StartHaloServerOptions } from '../../packages/halo-widget-server/src/http/start-halo-server.js';
import { createMemoryAgentStore } from '../../packages/halo-widget-server/src/agents/memory-agent-store.js';
import { createAgent } from '../../packages/halo-widget-server/src/agents/agent-accounts.js';
import type { AgentStore } from '../../packages/halo-widget-server/src/agents/agent-store.js';
import { generateProjectKeys, signUserToken } from '../../packages/halo-widget-server/src/index.js';
import type { PostgresCluster } from './postgres.js';
import { openEngine, type Engine } from './stores.js';

export const ADMIN_TOKEN = 'op_agent_tests_0123456789';
export const PASSWORD = 'correct horse battery';
/** The identity secret of both test projects (monitor mode: a request without a token is stored, marked). */
export const SECRET = generateProjectKeys().identitySecret;

/** A user token for `userId` with these claims, signed with the projects' secret. */
export const tokenFor = (userId: string, claims: Record<string, unknown> = {}) => signUserToken({ user_id: userId, ...claims }, SECRET);

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is (not JSON-encoded) when a string. */
  raw?: string;
  cookie?: string;
  headers?: Record<string, string>;
  localAddress?: string;
}

export function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = {
    ...(payload !== undefined && options.raw === undefined ? { 'Content-Type': 'application/json' } : {}),
    ...options.headers,
  };
  if (options.cookie) headers.Cookie = options.cookie;
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers, localAddress: options.localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : null;
        } catch (error) {
          void error; // not JSON: the text itself
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The `name=value` of a reply's session cookie. */
export const cookieOf = (reply: Reply) => String((reply.headers['set-cookie'] as string[] | undefined)?.[0] ?? '').split(';')[0]!;

export interface AgentSuite {
  url: string;
  agents: AgentStore;
  engine: Engine;
  /** `POST /api/sdk/chat` with this body; resolves with the conversation id (throws unless 200). */
  chat(body: Record<string, unknown>): Promise<string>;
  clock: { now: number };
  /** Logs in and returns the session cookie. */
  login(email: string, password?: string): Promise<string>;
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
}

/** Starts a server for the file: projects `wk_a` and `wk_b`, accounts admin@x.io (all), ann@x.io (wk_a), bob@x.io (all). */
export function useAgentServer(
  extra: Partial<StartHaloServerOptions> & { engine?: Engine['name']; cluster?: () => PostgresCluster } = {},
): AgentSuite {
  const suite = { clock: { now: Date.now() } } as AgentSuite & { close?: () => Promise<void> };
  const { engine = 'memory', cluster, ...options } = extra;
  beforeAll(async () => {
    suite.agents = createMemoryAgentStore();
    suite.engine = await openEngine(engine, cluster);
    for (const [email, role, projects] of [
      ['admin@x.io', 'admin', null],
      ['ann@x.io', 'agent', ['wk_a']],
      ['bob@x.io', 'agent', null],
    ] as const)
      await createAgent(suite.agents, {
        email,
        name: email.split('@')[0]!,
        role,
        projects: projects ? [...projects] : null,
        password: PASSWORD,
      });
    const server = await startHaloServer({
      projects: [
        { widgetKey: 'wk_a', identitySecrets: [SECRET], mode: 'monitor' },
        { widgetKey: 'wk_b', identitySecrets: [SECRET], mode: 'monitor' },
      ],
      logger: { info() {}, warn() {}, error: console.error },
      admin: { token: ADMIN_TOKEN },
      store: suite.engine.store,
      ...options,
      agents: { store: suite.agents, now: () => suite.clock.now, ...options.agents },
    });
    suite.url = server.url;
    suite.close = async () => {
      await server.close();
      await suite.engine.close();
    };
  }, 60_000);
  afterAll(async () => suite.close?.(), 60_000);
  suite.chat = async (body) => {
    const reply = await suite.call('POST', '/api/sdk/chat', { body });
    if (reply.status !== 200) throw new Error(`chat: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.conversation_id as string;
  };
  suite.call = (method, path, options) => call(suite.url, method, path, options);
  suite.login = async (email, password = PASSWORD) => {
    const reply = await suite.call('POST', '/api/agent/login', { body: { email, password } });
    if (reply.status !== 200) throw new Error(`login ${email}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return cookieOf(reply);
  };
  return suite;
}
