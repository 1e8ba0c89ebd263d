// An in-process Halo API for SDK tests: it decodes (does not verify) tokens, answers per
// the wire protocol of docs/protocol.md, and records every request so tests can assert on them.
import { vi } from 'vitest';
import { createHalo } from '../../packages/halo-widget/src/index.js';

export interface RecordedCall {
  call: string;
  body: Record<string, any>;
}

type Verdict = 'ok' | { reason: string };

export interface FakeApiOptions {
  /** Decides identity for an identified request; default: accept unexpired tokens for the right user. */
  judge?: (body: Record<string, any>, call: string) => Verdict;
  /** Added to Date.now() in the `Date` header (a server whose clock differs from the client's). */
  serverOffsetMs?: number;
  /** Replaces the whole answer for a request (faults); return undefined for the normal answer. */
  intercept?: (call: string, body: Record<string, any>) => Promise<Response | undefined> | Response | undefined;
}

export function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A JWT-shaped token (the SDK never checks signatures; the server does). */
export function makeToken(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.c2lnbmF0dXJl`;
}

/** A token for `userId` issued now (by the fake clock) and valid for `ttl` seconds. */
export function tokenFor(userId: string, ttl = 3600, extra: Record<string, unknown> = {}): string {
  const iat = Math.floor(Date.now() / 1000);
  return makeToken({ user_id: userId, iat, exp: iat + ttl, ...extra });
}

export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', Date: new Date().toUTCString(), ...headers },
  });
}

export function createFakeApi(options: FakeApiOptions = {}) {
  const calls: RecordedCall[] = [];
  let messageSeq = 0;
  const defaultJudge = (body: Record<string, any>): Verdict => {
    if (!body.user_token) return { reason: 'token_missing' };
    const claims = claimsOf(body.user_token);
    if (claims.user_id !== body.user_id) return { reason: 'user_mismatch' };
    const serverNow = (Date.now() + (options.serverOffsetMs ?? 0)) / 1000;
    if (typeof claims.exp === 'number' && claims.exp < serverNow) return { reason: 'token_expired' };
    return 'ok';
  };
  const judge = options.judge ?? defaultJudge;

  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const call = url.slice(url.lastIndexOf('/') + 1);
    const body = JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as Record<string, any>;
    calls.push({ call, body });
    const replaced = await options.intercept?.(call, body);
    if (replaced) return replaced;
    const date = new Date(Date.now() + (options.serverOffsetMs ?? 0)).toUTCString();
    let verified = false;
    if (body.user_id !== undefined) {
      const verdict = judge(body, call);
      if (verdict !== 'ok') {
        return json(
          403,
          { error: { code: 'identity_verification_failed', message: 'Identity verification failed.', reason: verdict.reason } },
          { Date: date, 'Halo-Identity': `unverified; reason=${verdict.reason}` },
        );
      }
      verified = true;
    }
    const headers = { Date: date, 'Halo-Identity': verified ? 'verified' : 'unverified; reason=anonymous' };
    const identity = { verified, mode: 'enforce' };
    if (call === 'identify') return json(200, { user: { user_id: body.user_id, traits: body.user_traits ?? {} }, identity }, headers);
    if (call === 'history') return json(200, { conversation_id: body.conversation_id ?? null, messages: [] }, headers);
    const conversationId = body.conversation_id ?? 'conv_1';
    const reply = {
      id: `msg_${++messageSeq}`,
      conversation_id: conversationId,
      role: 'assistant',
      text: `echo: ${body.message}`,
      created_at: new Date().toISOString(),
    };
    return json(200, { conversation_id: conversationId, message: reply, identity }, headers);
  });

  return {
    fetch: fetch as unknown as typeof globalThis.fetch,
    calls,
    /** Requests of one kind. */
    of: (call: string) => calls.filter((c) => c.call === call),
  };
}

/** A promise with its resolve/reject exposed. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const WIDGET_KEY = 'ab_test_0123456789abcdef';
export const API_BASE = 'http://127.0.0.1:9';

/** A one-hour token issued long ago, with only `remaining` seconds left: inside the 300 s skew. */
export function agingToken(userId: string, remaining: number, lifetime = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  return makeToken({ user_id: userId, iat: now + remaining - lifetime, exp: now + remaining });
}

/** A headless client on `api`, with spies for onError and onIdentityExpired. */
export function setupClient(api: { fetch: typeof fetch }, options: Record<string, unknown> = {}) {
  const onError = vi.fn();
  const onIdentityExpired = vi.fn();
  const client = createHalo({
    widgetKey: WIDGET_KEY,
    apiBase: API_BASE,
    launcher: false,
    userTraits: { name: 'Alice' },
    onError,
    onIdentityExpired,
    fetch: api.fetch,
    ...options,
  });
  return { client, onError, onIdentityExpired };
}
