import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../http/http.js';
import { clientAddress, type TrustProxy } from '../http/client-address.js';
import { publicAgent, type AgentAccount, type AgentStore } from './agent-store.js';
import { credentialHash, newSecret } from './agent-accounts.js';
import { createLoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { MAX_PASSWORD_LENGTH, verifyPassword } from './password.js';

/** The session cookie's name. `__Host-` would forbid plain http (local use), so the name is plain. */
export const SESSION_COOKIE = 'halo_agent_session';

/** Options of {@link createAgentAuth}. */
export interface AgentAuthOptions {
  store: AgentStore;
  /** A session unused for this long ends. @default 2 hours */
  idleMs?: number;
  /** A session ends this long after login, used or not. @default 12 hours */
  maxAgeMs?: number;
  /** For the client address the login throttle counts, and `X-Forwarded-Proto` (the cookie's `Secure`). @default false */
  trustProxy?: TrustProxy;
  throttle?: LoginThrottleOptions;
  /** @default Date.now */
  now?: () => number;
}

/** Who a request acts as: an account, and how it proved it. */
export interface AgentPrincipal {
  agent: AgentAccount;
  via: 'session' | 'token';
  /** The stored hash of the session or token: what a logout ends. */
  credential: string;
}

/** Logins, logouts and the check of every agent request (session cookie or `hat_` token). */
export interface AgentAuth {
  /** The account of the request's session cookie or `Authorization: Bearer hat_…`; null when neither is valid. */
  authenticate(req: IncomingMessage): Promise<AgentPrincipal | null>;
  /** Like {@link AgentAuth.authenticate}, but a 401 without a valid credential. */
  require(req: IncomingMessage): Promise<AgentPrincipal>;
  /** Checks `{ email, password }`; on success starts a new session (the request's old one ends) and sets its cookie. */
  login(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): Promise<AgentAccount>;
  /** Ends the request's session and clears its cookie; resolves the ended session's hash (null without one). */
  logout(req: IncomingMessage, res: ServerResponse): Promise<string | null>;
}

/** The value of the session cookie in the request, if any. */
function sessionOf(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=') || null;
  }
  return null;
}

const bearerOf = (req: IncomingMessage) => /^Bearer +(hat_[A-Za-z0-9_-]{10,100}) *$/.exec(req.headers.authorization ?? '')?.[1] ?? null;

/**
 * Agent authentication: passwords checked with scrypt behind a per-address and per-account
 * throttle; sessions in an `HttpOnly`, `SameSite=Strict` cookie (`Secure` behind https),
 * rotated at login, ended at logout, after `idleMs` unused or `maxAgeMs` after login; and
 * personal API tokens. Only SHA-256 hashes of sessions and tokens are stored.
 */
export function createAgentAuth(options: AgentAuthOptions): AgentAuth {
  const { store } = options;
  const now = options.now ?? Date.now;
  const idleMs = options.idleMs ?? 2 * 3600_000;
  const maxAgeMs = options.maxAgeMs ?? 12 * 3600_000;
  const throttle = createLoginThrottle({ now, ...options.throttle });
  const secure = (req: IncomingMessage) =>
    Boolean((req.socket as { encrypted?: boolean }).encrypted) ||
    (Boolean(options.trustProxy) &&
      String(req.headers['x-forwarded-proto'] ?? '')
        .split(',')[0]
        ?.trim() === 'https');
  const cookie = (req: IncomingMessage, value: string, maxAge?: number) =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${secure(req) ? '; Secure' : ''}${maxAge === undefined ? '' : `; Max-Age=${maxAge}`}`;

  async function authenticate(req: IncomingMessage): Promise<AgentPrincipal | null> {
    const token = bearerOf(req);
    const secret = token ?? sessionOf(req);
    if (!secret || secret.length > 200) return null;
    const hash = credentialHash(secret);
    const record = await store.getCredential(hash);
    if (!record || record.kind !== (token ? 'token' : 'session')) return null;
    const at = now();
    const lastUsed = Date.parse(record.lastUsedAt);
    if (record.kind === 'session' && (at - lastUsed > idleMs || at - Date.parse(record.createdAt) > maxAgeMs)) {
      await store.deleteCredential(hash);
      return null;
    }
    const agent = await store.getAgent(record.agentId);
    if (!agent) return null;
    // At most one write a minute per credential: reading the inbox is not a write per request.
    if (at - lastUsed > 60_000) await store.touchCredential(hash, new Date(at).toISOString());
    return { agent: publicAgent(agent), via: record.kind, credential: hash };
  }

  return {
    authenticate,
    async require(req) {
      const principal = await authenticate(req);
      if (!principal) throw new ApiError(401, 'unauthorized', 'Log in at /inbox, or send Authorization: Bearer <hat_… token>.');
      return principal;
    },
    async login(req, res, body) {
      const email = typeof body.email === 'string' ? body.email.trim().toLowerCase().slice(0, 256) : '';
      const password = typeof body.password === 'string' ? body.password : '';
      if (!email || !password || password.length > MAX_PASSWORD_LENGTH)
        throw new ApiError(400, 'invalid_request', 'Send { "email": …, "password": … }.');
      const address = clientAddress(req, options.trustProxy);
      const wait = throttle.retryAfter(address, email);
      if (wait > 0)
        throw new ApiError(429, 'rate_limited', 'Too many failed logins: try again later.', undefined, { 'Retry-After': String(wait) });
      const agent = await store.findAgentByEmail(email);
      if (!(await verifyPassword(password, agent?.passwordHash ?? null)) || !agent) {
        throttle.failed(address, email);
        // The same answer for an unknown email and a wrong password.
        throw new ApiError(401, 'unauthorized', 'Wrong email or password.');
      }
      throttle.succeeded(email);
      // Rotation: the session the request came with (if any) ends; a fresh one begins.
      const previous = sessionOf(req);
      if (previous && previous.length <= 200) await store.deleteCredential(credentialHash(previous));
      const session = newSecret();
      const at = new Date(now()).toISOString();
      await store.addCredential({ hash: credentialHash(session), agentId: agent.id, kind: 'session', createdAt: at, lastUsedAt: at });
      res.setHeader('Set-Cookie', cookie(req, session));
      return publicAgent(agent);
    },
    async logout(req, res) {
      const session = sessionOf(req);
      const hash = session && session.length <= 200 ? credentialHash(session) : null;
      if (hash) await store.deleteCredential(hash);
      res.setHeader('Set-Cookie', cookie(req, '', 0));
      return hash;
    },
  };
}
