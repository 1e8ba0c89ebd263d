// SPEC §5: CORS, exposed headers, idempotent chat, the 500 path, rate limits, and the scripts.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateProjectKeys, signUserToken, type Respond } from '../../src/server/index.js';
import { silentLogger, useHaloServer } from '../helpers/server.js';

const { identitySecret: SECRET } = generateProjectKeys();
const logger = silentLogger();
let failNext = false;
const respond: Respond = ({ message }) => {
  if (failNext) {
    failNext = false;
    throw new Error(`model exploded at /srv/app/model.js:42 with ${SECRET}`);
  }
  return `re: ${message}`;
};
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
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(answer.status).toBe(204);
    expect(answer.body).toBeNull();
    expect(answer.headers.get('Access-Control-Allow-Methods')).toContain('POST');
    expect(answer.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('content-type');
  });

  it('echoes a permitted origin and exposes Date, Halo-Identity and Retry-After', async () => {
    const answer = await api.post('chat', { ...visitor('ab_test_someorigin'), message: 'hi' }, { Origin: 'https://app.example.com' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com');
    expect(answer.headers.get('Access-Control-Expose-Headers')).toBe('Date, Halo-Identity, Retry-After');
    expect(answer.headers.get('Date')).toBeTruthy();
    expect(answer.headers.get('Set-Cookie')).toBeNull();
  });

  it('echoes any origin by default', async () => {
    const answer = await api.post('chat', { ...visitor('ab_test_anyorigin'), message: 'hi' }, { Origin: 'https://anything.example' });
    expect(answer.headers.get('Access-Control-Allow-Origin')).toBe('https://anything.example');
  });

  it('refuses an origin the project does not allow with 403 origin_not_allowed', async () => {
    const answer = await api.post('chat', { ...visitor('ab_test_someorigin'), message: 'hi' }, { Origin: 'https://evil.example' });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('origin_not_allowed');
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
      role: 'assistant',
      text: 're: two',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('stores a repeated client_message_id once and answers with the first reply, also when concurrent', async () => {
    const body = { ...visitor('ab_test_anyorigin', 'v-idem'), message: 'pay me', client_message_id: 'cm-1' };
    const answers = await Promise.all([api.post('chat', body), api.post('chat', body), api.post('chat', body)]);
    const again = await api.post('chat', body);
    const ids = new Set([...answers, again].map((a) => a.body.message.id));
    expect(ids.size).toBe(1);
    const history = await api.post('history', visitor('ab_test_anyorigin', 'v-idem'));
    expect(history.body.messages).toHaveLength(2);
  });

  it('a failing respond() is logged and answered 500 internal_error without a stack, secret or path, and stores nothing', async () => {
    logger.lines.length = 0;
    failNext = true;
    const answer = await api.post('chat', { ...visitor('ab_test_anyorigin', 'v-500'), message: 'boom' });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: { code: 'internal_error', message: 'Internal error.' } });
    expect(JSON.stringify(answer.body)).not.toContain('model.js');
    expect(logger.lines.length).toBeGreaterThan(0);
    const history = await api.post('history', visitor('ab_test_anyorigin', 'v-500'));
    expect(history.body.messages).toEqual([]);
  });

  it('identify stores traits and returns them', async () => {
    const token = await signUserToken({ user_id: 'u1', name: 'Una' }, SECRET);
    const answer = await api.post('identify', { widget_key: 'ab_test_anyorigin', user_id: 'u1', user_token: token, user_traits: { team: 'ops' } });
    expect(answer.body).toEqual({ user: { user_id: 'u1', traits: { team: 'ops', name: 'Una' } }, identity: { verified: true, mode: 'monitor' } });
  });
});

describe('rate limit', () => {
  const limited = useHaloServer(() => ({ projects: [{ widgetKey: 'ab_test_limited00' }], rateLimit: { burst: 3, perSecond: 0.2 } }));

  it('answers 429 rate_limited with Retry-After past the burst, per user or visitor', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await limited.post('history', visitor('ab_test_limited00', 'v-flood'))).status);
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await limited.post('history', visitor('ab_test_limited00', 'v-flood'));
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('Access-Control-Expose-Headers')).toContain('Retry-After');
    const other = await limited.post('history', { widget_key: 'ab_test_limited00', user_id: 'someone-else' });
    expect(other.status).toBe(200);
  });
});

describe('scripts', () => {
  it('serves /halo.js and /snippet.js byte-identical to dist/, as JavaScript', async () => {
    const dist = new URL('../../dist/', import.meta.url);
    if (!existsSync(new URL('halo.js', dist))) throw new Error('dist/ is missing: run `npm run build` first');
    for (const file of ['halo.js', 'snippet.js']) {
      const response = await fetch(`${api.url}/${file}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('Content-Type')).toMatch(/^text\/javascript/);
      expect(response.headers.get('Cache-Control')).toMatch(/max-age/);
      expect(Buffer.from(await response.arrayBuffer()).equals(readFileSync(new URL(file, dist)))).toBe(true);
    }
  });
});
