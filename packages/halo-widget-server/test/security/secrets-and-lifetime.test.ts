// Issue item 6 (secret check by prefix only) and item 7 (no maximum token lifetime).
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { generateProjectKeys, signUserToken } from '../../src/index.js';
import { silentLogger, useHaloServer } from '../../../../test/helpers/server.js';

const { identitySecret: SECRET } = generateProjectKeys();
const ENFORCE = 'ab_test_lifeenforce';
const MONITOR = 'ab_test_lifemonitor';
const NO_MAX = 'ab_test_lifenomax';
const logger = silentLogger();
const api = useHaloServer(() => ({
  projects: [
    { widgetKey: ENFORCE, identitySecrets: [SECRET], mode: 'enforce', maxTokenLifetime: '24h' },
    { widgetKey: MONITOR, identitySecrets: [SECRET], mode: 'monitor', maxTokenLifetime: 3600 },
    { widgetKey: NO_MAX, identitySecrets: [SECRET], mode: 'enforce' },
  ],
  logger,
  // Every decision logged: these tests repeat a user and reason within the decision log's minute.
  decisionLog: { perKeyMs: 0 },
}));
const logged = () => logger.lines.map((line) => line.map(String).join(' ')).join('\n');
const now = () => Math.floor(Date.now() / 1000);

describe('a secret inside any string is refused', () => {
  it.each([
    ['a trait', { user_traits: { note: `key=${SECRET}` } }, 'user_traits.note'],
    ['a nested trait', { user_traits: { config: { keys: ['x', `Bearer ${SECRET}`] } } }, 'user_traits.config.keys[1]'],
    ['the message', { message: `my secret is ${SECRET} ok` }, 'message'],
    ['an unknown field', { extra: { s: SECRET } }, 'extra.s'],
  ])('in %s: 400 naming where, logged without the secret, nothing stored', async (_, fields, path) => {
    logger.lines.length = 0;
    const answer = await api.post('chat', { widget_key: NO_MAX, visitor_id: 'v-secret', message: 'hi', ...fields });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain(path);
    expect(JSON.stringify(answer.body)).not.toContain(SECRET);
    expect(logged()).toContain(path);
    expect(logged()).not.toContain(SECRET);
    expect((await api.post('history', { widget_key: NO_MAX, visitor_id: 'v-secret' })).body.messages).toEqual([]);
  });

  it('in a verified token’s claims: 400', async () => {
    const token = await signUserToken({ user_id: 'u', note: `x${SECRET}` }, SECRET);
    const answer = await api.post('identify', { widget_key: NO_MAX, user_id: 'u', user_token: token });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('token claims.note');
  });
});

describe('maxTokenLifetime', () => {
  it('enforce: a token without exp, or with exp 1e300, is 403 token_invalid, logged with the reason lifetime', async () => {
    for (const token of [jwt.sign({ user_id: 'alice' }, SECRET), jwt.sign({ user_id: 'alice', exp: 1e300 }, SECRET)]) {
      logger.lines.length = 0;
      const answer = await api.post('identify', { widget_key: ENFORCE, user_id: 'alice', user_token: token });
      expect(answer.status).toBe(403);
      expect(answer.body.error).toMatchObject({ code: 'identity_verification_failed', reason: 'token_invalid' });
      expect(logged()).toMatch(/lifetime/);
      expect(logged()).not.toContain(token);
    }
  });

  it('enforce: a token within the lifetime verifies', async () => {
    const answer = await api.post('identify', {
      widget_key: ENFORCE,
      user_id: 'alice',
      user_token: await signUserToken({ user_id: 'alice' }, SECRET, { expiresIn: '24h' }),
    });
    expect(answer.body.identity).toEqual({ verified: true, mode: 'enforce' });
  });

  it('monitor: a token past the lifetime goes on unverified and is logged with the reason lifetime', async () => {
    logger.lines.length = 0;
    const answer = await api.post('identify', {
      widget_key: MONITOR,
      user_id: 'bob',
      user_token: jwt.sign({ user_id: 'bob', exp: now() + 7200 }, SECRET),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('Halo-Identity')).toBe('unverified; reason=token_invalid');
    expect(logged()).toMatch(/monitor: unverified request for user "bob".*lifetime/);
  });

  it('without a maximum, a token without exp verifies, with one warning per user naming the fix', async () => {
    logger.lines.length = 0;
    for (const user of ['carol', 'carol', 'dave']) {
      const answer = await api.post('identify', { widget_key: NO_MAX, user_id: user, user_token: jwt.sign({ user_id: user }, SECRET) });
      expect(answer.body.identity.verified).toBe(true);
    }
    const warnings = logger.lines.filter((line) => String(line[0]).includes('has no exp'));
    expect(warnings).toHaveLength(2);
    expect(String(warnings[0]![0])).toMatch(/"carol".*maxTokenLifetime/);
  });

  it('a nonsense maxTokenLifetime fails at start-up, naming the field', async () => {
    const { createHaloApi } = await import('../../src/index.js');
    expect(() => createHaloApi({ projects: [{ widgetKey: 'ab_test_x', maxTokenLifetime: '1 week' }], logger: silentLogger() })).toThrow(
      /projects\[0\]\.maxTokenLifetime/,
    );
  });
});
