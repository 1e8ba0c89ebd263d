// Wire protocol: CORS, exposed headers, Halo-Identity on errors, idempotent chat, the 500 path, a throwing logger, rate limits.
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { generateProjectKeys, signUserToken, type Respond } from '../../src/index.js';
import { silentLogger, useHaloServer } from '../../../../test/helpers/server.js';

const { identitySecret: SECRET } = generateProjectKeys();
const logger = silentLogger();
let failNext = false;
let leakedToken = '';
/** What respond() throws next, when not the default error. */
let nextFailure: (() => unknown) | null = null;
const respond: Respond = ({ message }) => {
  if (failNext) {
    failNext = false;
    if (nextFailure) throw nextFailure();
    throw new Error(`model exploded at /srv/app/model.js:42 with ${SECRET} and ${leakedToken}`);
  }
  return `re: ${message}`;
};
/** Everything the logger received, printed as deeply as a console would print it. */
const loggedText = () =>
  logger.lines.map((line) => line.map((part) => (typeof part === 'string' ? part : inspect(part, { depth: 8 }))).join(' ')).join('\n');
const api = useHaloServer(() => ({
  projects: [
    { widgetKey: 'ab_test_anyorigin', identitySecrets: [SECRET] },
    { widgetKey: 'ab_test_someorigin', allowedOrigins: ['https://app.example.com'] },
  ],
  respond,
  logger,
}));
const visitor = (widgetKey: string, id = 'v-1') => ({ widget_key: widgetKey, visitor_id: id });

describe('CORS', () => {
  it('answers a preflight 204 with no body, allowing POST and Content-Type', async () => {
    const answer = await api.raw('/api/sdk/chat', {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://evil.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(answer.status).toBe(204);
    expect(answer.body).toBeNull();
    expect(answer.headers.get('Access-Control-Allow-Methods')).toBe('POST');
    expect(answer.headers.get('Access-Control-Allow-Headers')).toBe('Content-Type');
    expect(answer.headers.get('Access-Control-Allow-Origin')).toBe('https://evil.example');
    expect(Number(answer.headers.get('Access-Control-Max-Age'))).toBeGreaterThan(0);
    expect(answer.headers.get('Access-Control-Expose-Headers')).toBe('Date, Halo-Identity, Retry-After');
    expect(answer.headers.get('Vary')).toBe('Origin');
  });

  it('varies every API answer on Origin and exposes the headers, errors included', async () => {
    for (const answer of [
      await api.post('chat', { ...visitor('ab_test_anyorigin'), message: 'hi' }, { Origin: 'https://app.example.com' }),
      await api.post('chat', { visitor_id: 'v', message: 'hi' }, { Origin: 'https://app.example.com' }),
      await api.raw('/api/sdk/chat', { method: 'GET', headers: { Origin: 'https://app.example.com' } }),
      await api.raw('/nowhere', { method: 'GET' }),
    ]) {
      expect(answer.headers.get('Vary')).toBe('Origin');
      expect(answer.headers.get('Access-Control-Expose-Headers')).toBe('Date, Halo-Identity, Retry-After');
      expect(answer.headers.get('Date')).toBeTruthy();
      expect(answer.headers.get('Set-Cookie')).toBeNull();
    }
  });

  it('echoes a permitted origin and exposes Date, Halo-Identity and Retry-After', async () => {
    const answer = await api.post('chat', { ...visitor('ab_test_someorigin'), message: 'hi' }, { Origin: 'https://app.example.com' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com');
    expect(answer.headers.get('Access-Control-Expose-Headers')).toBe('Date, Halo-Identity, Retry-After');
  });

  it('echoes any origin by default', async () => {
    const answer = await api.post('chat', { ...visitor('ab_test_anyorigin'), message: 'hi' }, { Origin: 'https://anything.example' });
    expect(answer.headers.get('Access-Control-Allow-Origin')).toBe('https://anything.example');
  });

  it('answers a preflight 204 on any path, outside /api/sdk/ and for unknown calls too', async () => {
    for (const path of ['/nope', '/api/sdk/delete-everything', '/api/sdk/chat/extra', '/halo.js']) {
      const answer = await api.raw(path, {
        method: 'OPTIONS',
        headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' },
      });
      expect(answer.status, path).toBe(204);
      expect(answer.body, path).toBeNull();
      expect(answer.headers.get('Access-Control-Allow-Origin'), path).toBe('https://app.example.com');
    }
  });

  it('refuses an origin the project does not allow with 403 origin_not_allowed, without echoing it', async () => {
    const answer = await api.post('chat', { ...visitor('ab_test_someorigin'), message: 'hi' }, { Origin: 'https://evil.example' });
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: { code: 'origin_not_allowed', message: expect.any(String) } });
    expect(answer.headers.get('Access-Control-Allow-Origin')).toBeNull();
    expect(answer.headers.get('Vary')).toBe('Origin');
    expect(answer.headers.get('Access-Control-Expose-Headers')).toBe('Date, Halo-Identity, Retry-After');
  });

  it('echoes the origin on an error found before any project is known', async () => {
    const origin = { Origin: 'https://evil.example' };
    for (const answer of [
      await api.post('chat', '{"widget_key": ', origin),
      await api.post('chat', { widget_key: 'ab_test_nosuchkey', visitor_id: 'v', message: 'hi' }, origin),
    ]) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.headers.get('Access-Control-Allow-Origin')).toBe('https://evil.example');
    }
  });

  it('does not apply allowedOrigins to server-to-server calls without Origin', async () => {
    expect((await api.post('chat', { ...visitor('ab_test_someorigin'), message: 'hi' })).status).toBe(200);
  });
});

describe('chat', () => {
  it('continues the latest conversation without a conversation_id and returns the reply', async () => {
    const first = await api.post('chat', { ...visitor('ab_test_anyorigin', 'v-chat'), message: 'one' });
    const second = await api.post('chat', { ...visitor('ab_test_anyorigin', 'v-chat'), message: 'two' });
    expect(second.body.conversation_id).toBe(first.body.conversation_id);
    expect(second.body.message).toEqual({
      id: expect.any(String),
      conversation_id: first.body.conversation_id,
      seq: 4,
      author: 'assistant',
      role: 'assistant',
      text: 're: two',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('stamps both messages of an exchange with the time of the exchange, and gives each an id of its own', async () => {
    const before = Date.now();
    const answer = await api.post('chat', { ...visitor('ab_test_anyorigin', 'v-time'), message: 'now?' });
    const after = Date.now();
    const at = Date.parse(answer.body.message.created_at);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await api.post('chat', { ...visitor('ab_test_anyorigin', 'v-time'), message: 'later' });
    const { messages } = (await api.post('history', visitor('ab_test_anyorigin', 'v-time'))).body;
    expect(messages[0].created_at).toBe(messages[1].created_at);
    expect(Date.parse(messages[2].created_at)).toBeGreaterThan(at);
    expect(new Set(messages.map((m: { id: string }) => m.id)).size).toBe(4);
    for (const m of messages) expect(m.id).toMatch(/^msg_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('stores a repeated client_message_id once and answers with the first reply, also when concurrent', async () => {
    const body = { ...visitor('ab_test_anyorigin', 'v-idem'), message: 'pay me', client_message_id: 'cm-1' };
    const answers = await Promise.all([api.post('chat', body), api.post('chat', body), api.post('chat', body)]);
    const again = await api.post('chat', body);
    const ids = new Set([...answers, again].map((a) => a.body.message.id));
    expect(ids.size).toBe(1);
    const history = await api.post('history', visitor('ab_test_anyorigin', 'v-idem'));
    expect(history.body.messages).toHaveLength(2);
    const next = await api.post('chat', { ...body, client_message_id: 'cm-2', message: 'and again' });
    expect(next.body.message.id).not.toBe(answers[0]!.body.message.id);
    expect((await api.post('history', visitor('ab_test_anyorigin', 'v-idem'))).body.messages).toHaveLength(4);
  });

  it('a client_message_id over 100 characters is 400', async () => {
    const answer = await api.post('chat', { ...visitor('ab_test_anyorigin'), message: 'x', client_message_id: 'c'.repeat(101) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('client_message_id');
    expect((await api.post('chat', { ...visitor('ab_test_anyorigin'), message: 'x', client_message_id: 'c'.repeat(100) })).status).toBe(
      200,
    );
  });

  it('a body with both user_id and visitor_id is the user’s', async () => {
    const answer = await api.post('chat', { widget_key: 'ab_test_anyorigin', user_id: 'u-both', visitor_id: 'v-both', message: 'hi' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('Halo-Identity')).toBe('unverified; reason=token_missing');
    expect((await api.post('history', visitor('ab_test_anyorigin', 'v-both'))).body.messages).toEqual([]);
    expect((await api.post('history', { widget_key: 'ab_test_anyorigin', user_id: 'u-both' })).body.messages).toHaveLength(2);
  });

  it('a failing respond() is logged and answered 500 internal_error without a stack, secret or path, and stores nothing', async () => {
    logger.lines.length = 0;
    failNext = true;
    const answer = await api.post('chat', { ...visitor('ab_test_anyorigin', 'v-500'), message: 'boom' });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: { code: 'internal_error', message: 'Internal error.' } });
    expect(JSON.stringify(answer.body)).not.toContain('model.js');
    expect(answer.headers.get('Halo-Identity')).toBe('unverified; reason=anonymous');
    expect(logger.lines.length).toBeGreaterThan(0);
    const history = await api.post('history', visitor('ab_test_anyorigin', 'v-500'));
    expect(history.body.messages).toEqual([]);
  });

  it('the error log of a 500 names the failure but never the identity secret or the user token', async () => {
    leakedToken = await signUserToken({ user_id: 'u-500' }, SECRET);
    logger.lines.length = 0;
    failNext = true;
    const answer = await api.post('chat', { widget_key: 'ab_test_anyorigin', user_id: 'u-500', user_token: leakedToken, message: 'boom' });
    expect(answer.status).toBe(500);
    expect(answer.headers.get('Halo-Identity')).toBe('verified');
    const logged = loggedText();
    expect(logged).toContain('model exploded');
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(leakedToken);
  });

  it.each([
    ['a property', () => Object.assign(new Error('upstream failed'), { request: { headers: { authorization: `Bearer ${leakedToken}` } } })],
    ['the cause', () => new Error('upstream failed', { cause: new Error(`bad key ${SECRET}`) })],
    ['a thrown plain object', () => ({ reason: 'upstream failed', secret: SECRET })],
  ])('a secret or token in %s of a 500’s error stays out of the log', async (_where, failure) => {
    leakedToken = await signUserToken({ user_id: 'u-deep' }, SECRET);
    nextFailure = failure;
    logger.lines.length = 0;
    failNext = true;
    const answer = await api.post('chat', { widget_key: 'ab_test_anyorigin', user_id: 'u-deep', user_token: leakedToken, message: 'boom' });
    nextFailure = null;
    expect(answer.status).toBe(500);
    const logged = loggedText();
    expect(logged).toContain('upstream failed');
    expect(logged).toContain('[redacted]');
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(leakedToken);
  });

  it('an error without secrets is logged as the object itself, for structured loggers', async () => {
    nextFailure = () => Object.assign(new Error('plain failure'), { status: 502 });
    logger.lines.length = 0;
    failNext = true;
    expect((await api.post('chat', { ...visitor('ab_test_anyorigin', 'v-plain'), message: 'boom' })).status).toBe(500);
    nextFailure = null;
    expect(logger.lines.flat().some((part) => part instanceof Error && (part as Error & { status?: number }).status === 502)).toBe(true);
  });

  it('answers past the identity check carry Halo-Identity, errors included', async () => {
    const tooLong = await api.post('chat', { ...visitor('ab_test_anyorigin', 'v-hdr'), message: '' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.headers.get('Halo-Identity')).toBe('unverified; reason=anonymous');
    const missing = await api.post('history', { ...visitor('ab_test_anyorigin', 'v-hdr'), conversation_id: 'conv_nope' });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('Halo-Identity')).toBe('unverified; reason=anonymous');
    const monitored = await api.post('history', { widget_key: 'ab_test_anyorigin', user_id: 'u-hdr' });
    expect(monitored.headers.get('Halo-Identity')).toBe('unverified; reason=token_missing');
    const unknownKey = await api.post('history', { widget_key: 'ab_test_nosuchkey', visitor_id: 'v' });
    expect(unknownKey.status).toBe(401);
    expect(unknownKey.headers.get('Halo-Identity')).toBeNull(); // it never reached the identity check
  });

  it('identify stores traits and returns them', async () => {
    const token = await signUserToken({ user_id: 'u1', name: 'Una' }, SECRET);
    const answer = await api.post('identify', {
      widget_key: 'ab_test_anyorigin',
      user_id: 'u1',
      user_token: token,
      user_traits: { team: 'ops' },
    });
    expect(answer.body).toEqual({
      user: { user_id: 'u1', traits: { team: 'ops', name: 'Una' } },
      identity: { verified: true, mode: 'monitor' },
    });
  });

  it('identify merges traits over calls; an anonymous visitor gets user: null', async () => {
    await api.post('identify', { ...visitor('ab_test_anyorigin', 'v-traits'), user_traits: { a: 1 } });
    const answer = await api.post('identify', { ...visitor('ab_test_anyorigin', 'v-traits'), user_traits: { b: 2 } });
    expect(answer.body).toEqual({ user: null, identity: { verified: false, mode: 'monitor' } });
    await api.post('identify', { widget_key: 'ab_test_anyorigin', user_id: 'u-merge', user_traits: { a: 1, b: 1 } });
    const merged = await api.post('identify', { widget_key: 'ab_test_anyorigin', user_id: 'u-merge', user_traits: { b: 2 } });
    expect(merged.body.user).toEqual({ user_id: 'u-merge', traits: { a: 1, b: 2 } });
  });

  it('an identity keeps at most 50 traits, dropping those not sent for the longest time', async () => {
    const user = { widget_key: 'ab_test_anyorigin', user_id: 'u-many' };
    await api.post('identify', { ...user, user_traits: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`old${i}`, i])) });
    const answer = await api.post('identify', { ...user, user_traits: { fresh: true } });
    expect(Object.keys(answer.body.user.traits)).toHaveLength(50);
    expect(answer.body.user.traits.fresh).toBe(true);
    expect(answer.body.user.traits.old0).toBeUndefined();
  });
});

describe('a logger that throws', () => {
  const throwing = {
    info: () => {
      throw new Error('logger down');
    },
    warn: () => {
      throw new Error('logger down');
    },
    error: () => {
      throw new Error('logger down');
    },
  };
  const broken = useHaloServer(() => ({
    projects: [{ widgetKey: 'ab_test_badlogger', identitySecrets: [SECRET] }], // monitor
    respond: ({ message }) => {
      if (message === 'boom') throw new Error('respond failed');
      return `re: ${message}`;
    },
    logger: throwing,
  }));
  const post = (body: unknown) =>
    fetch(`${broken.url}/api/sdk/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(3000),
    });

  it('still answers a monitor-mode bad token and a failing respond(), and the server keeps serving', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const monitored = await post({ widget_key: 'ab_test_badlogger', user_id: 'alice', user_token: 'garbage', message: 'hi' });
      expect(monitored.status).toBe(200);
      expect(monitored.headers.get('Halo-Identity')).toBe('unverified; reason=token_invalid');
      const failed = await post({ widget_key: 'ab_test_badlogger', visitor_id: 'v-boom', message: 'boom' });
      expect(failed.status).toBe(500);
      expect(await failed.json()).toEqual({ error: { code: 'internal_error', message: 'Internal error.' } });
      const after = await post({ widget_key: 'ab_test_badlogger', visitor_id: 'v-after', message: 'still there?' });
      expect(after.status).toBe(200);
      // The lines the logger could not take went to the console instead.
      expect(consoleError.mock.calls.map((call) => call.join(' ')).join('\n')).toMatch(/monitor: unverified[\s\S]*internal error/);
    } finally {
      consoleError.mockRestore();
    }
  });
});

describe('rate limit', () => {
  const limited = useHaloServer(() => ({ projects: [{ widgetKey: 'ab_test_limited00' }], rateLimit: { burst: 3, perSecond: 0.2 } }));

  it('answers 429 rate_limited with Retry-After past the burst; unverified requests share their address’s budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await limited.post('history', visitor('ab_test_limited00', 'v-flood'))).status);
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await limited.post('history', visitor('ab_test_limited00', 'v-flood'));
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('Access-Control-Expose-Headers')).toContain('Retry-After');
    // An unverified request spends its client address's budget, whoever it claims to be.
    const other = await limited.post('history', { widget_key: 'ab_test_limited00', user_id: 'someone-else' });
    expect(other.status).toBe(429);
  });
});
