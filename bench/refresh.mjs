// Refresh efficiency: the real SDK (dist/index.mjs) on an in-process fake API, counting
// getUserToken calls for N concurrent calls near expiry, and after a 403 storm (single-flight-refresh, retry-once-on-403).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../test/helpers/sizes.mjs';

const WIDGET_KEY = 'ab_test_0123456789abcdef';
const API_BASE = 'http://127.0.0.1:9';

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT-shaped token: the SDK never checks signatures, the server does. */
export function makeToken(claims) {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.c2lnbmF0dXJl`;
}

/** A one-hour token with `remaining` seconds left (inside the default 300 s skew when small). */
export function tokenFor(userId, remaining = 3600, lifetime = 3600, extra = {}) {
  const now = Math.floor(Date.now() / 1000);
  return makeToken({ user_id: userId, iat: now + remaining - lifetime, exp: now + remaining, ...extra });
}

function answer(status, body, extraHeaders = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', Date: new Date().toUTCString(), ...extraHeaders },
  });
}

/**
 * A fake Halo API as an injected `fetch`: `reject(token)` decides a 403 per request.
 * It records each request's call, token and client_message_id.
 */
export function createFakeFetch({ reject = () => null } = {}) {
  const requests = [];
  let seq = 0;
  const fetch = async (input, init) => {
    const url = String(input);
    const call = url.slice(url.lastIndexOf('/') + 1);
    const body = JSON.parse(String(init?.body ?? '{}'));
    requests.push({ call, token: body.user_token, key: body.client_message_id });
    // Let concurrent calls really overlap, as on a network.
    await new Promise((resolve) => setImmediate(resolve));
    const reason = body.user_id === undefined ? null : reject(body.user_token);
    if (reason) {
      return answer(403, { error: { code: 'identity_verification_failed', message: 'Identity verification failed.', reason } });
    }
    const identity = { verified: body.user_id !== undefined, mode: 'enforce' };
    if (call === 'identify') return answer(200, { user: { user_id: body.user_id, traits: body.user_traits ?? {} }, identity });
    if (call === 'history') return answer(200, { conversation_id: 'conv_1', messages: [] });
    const message = {
      id: `msg_${++seq}`,
      conversation_id: 'conv_1',
      role: 'assistant',
      text: `echo: ${body.message}`,
      created_at: new Date().toISOString(),
    };
    return answer(200, { conversation_id: 'conv_1', message, identity });
  };
  return { fetch, requests };
}

export async function loadSdk(root = ROOT) {
  return import(pathToFileURL(join(root, 'dist/index.mjs')).href);
}

/** A getUserToken that counts its calls and answers after a few ms, like a backend. */
function countingTokenSource(userId) {
  const source = {
    calls: 0,
    getUserToken: async () => {
      source.calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return tokenFor(userId);
    },
  };
  return source;
}

/**
 * N concurrent calls (history() and sendMessage()) from one client whose token has 60 s
 * left: every call needs a refresh, and they must share one getUserToken call.
 */
async function nearExpiry(createHalo, n) {
  const userId = `user_near_${n}`;
  const api = createFakeFetch();
  const source = countingTokenSource(userId);
  const client = createHalo({
    widgetKey: WIDGET_KEY,
    apiBase: API_BASE,
    launcher: false,
    userId,
    userToken: tokenFor(userId, 60),
    userTraits: { name: 'Bench' },
    getUserToken: source.getUserToken,
    fetch: api.fetch,
  });
  const calls = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? client.history() : client.sendMessage(`hello ${i}`)));
  const results = await Promise.allSettled(calls);
  client.shutdown();
  return {
    n,
    getUserTokenCalls: source.calls,
    failed: results.filter((result) => result.status === 'rejected').length,
    requests: api.requests.length,
  };
}

/**
 * A 403 storm: the server rejects the first token (a rotated secret), so every one of the
 * N concurrent calls comes back 403. One forced refresh must serve them all, and each call
 * is retried at most once.
 */
async function afterStorm(createHalo, n) {
  const userId = `user_storm_${n}`;
  const first = tokenFor(userId, 3600, 3600, { gen: 1 });
  const api = createFakeFetch({ reject: (token) => (token === first ? 'token_invalid' : null) });
  const source = countingTokenSource(userId);
  const expired = { count: 0 };
  const client = createHalo({
    widgetKey: WIDGET_KEY,
    apiBase: API_BASE,
    launcher: false,
    userId,
    userToken: first,
    userTraits: { name: 'Bench' },
    getUserToken: source.getUserToken,
    onIdentityExpired: () => {
      expired.count += 1;
    },
    fetch: api.fetch,
  });
  // history() carries no id of its own: count per call by tagging each with a message id
  // instead, via sendMessage, whose client_message_id is the same on every retry.
  const histories = Array.from({ length: Math.ceil(n / 2) }, () => client.history());
  const messages = Array.from({ length: Math.floor(n / 2) }, (_, i) => client.sendMessage(`storm ${i}`));
  const results = await Promise.allSettled([...histories, ...messages]);
  client.shutdown();
  const attempts = new Map();
  for (const request of api.requests) {
    if (request.call === 'chat') attempts.set(request.key, (attempts.get(request.key) ?? 0) + 1);
  }
  const historyRequests = api.requests.filter((request) => request.call === 'history').length;
  return {
    n,
    getUserTokenCalls: source.calls,
    failed: results.filter((result) => result.status === 'rejected').length,
    rejected403: api.requests.filter((request) => request.token === first).length,
    maxChatAttempts: Math.max(0, ...attempts.values()),
    historyRequestsPerCall: histories.length ? historyRequests / histories.length : 0,
    identityExpired: expired.count,
    requests: api.requests.length,
  };
}

export async function measureRefresh({ sizes = [1, 10, 100, 1000], root = ROOT } = {}) {
  const { createHalo } = await loadSdk(root);
  const near = [];
  const storm = [];
  for (const n of sizes) near.push(await nearExpiry(createHalo, n));
  for (const n of sizes) storm.push(await afterStorm(createHalo, n));
  return { nearExpiry: near, afterStorm: storm };
}
