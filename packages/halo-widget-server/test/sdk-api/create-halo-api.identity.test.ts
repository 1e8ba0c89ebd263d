// hs256-only, secret-bytes-as-written, clock-tolerance, user-id-must-match, verification-modes and
// trusted-claims-per-request over HTTP: the attack matrix in enforce, monitor and off, trusted claims, rotation.
import jwt from 'jsonwebtoken';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateProjectKeys, signUserToken, type ProjectConfig } from '../../src/index.js';
import { silentLogger, useHaloServer } from '../../../../test/helpers/server.js';

const { identitySecret: SECRET } = generateProjectKeys();
const { identitySecret: NEXT } = generateProjectKeys();
const { identitySecret: WRONG } = generateProjectKeys();
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

const projects: ProjectConfig[] = [
  { widgetKey: 'ab_test_enforce00', identitySecrets: [SECRET, NEXT], mode: 'enforce' },
  { widgetKey: 'ab_test_monitor00', identitySecrets: [SECRET] }, // monitor by default
  { widgetKey: 'ab_test_off000000', identitySecrets: [SECRET], mode: 'off' },
];
const logger = silentLogger();
// Every decision logged: these tests repeat a user and reason within the decision log's minute.
const api = useHaloServer(() => ({ projects, logger, decisionLog: { perKeyMs: 0 } }));

const attacks: [string, () => string | undefined, string][] = [
  ['no token', () => undefined, 'token_missing'],
  ['an expired token', () => jwt.sign({ user_id: 'alice', exp: now() - 60 }, SECRET), 'token_expired'],
  ["another user's token", () => jwt.sign({ user_id: 'bob' }, SECRET), 'user_mismatch'],
  ['a token signed with the wrong secret', () => jwt.sign({ user_id: 'alice' }, WRONG), 'token_invalid'],
  [
    'a tampered payload',
    () => {
      const [h, , s] = jwt.sign({ user_id: 'bob', plan: 'free' }, SECRET).split('.');
      return `${h}.${b64({ user_id: 'alice', plan: 'enterprise' })}.${s}`;
    },
    'token_invalid',
  ],
  ['alg none', () => `${b64({ alg: 'none' })}.${b64({ user_id: 'alice' })}.`, 'token_invalid'],
  ['HS384 with the right secret', () => jwt.sign({ user_id: 'alice' }, SECRET, { algorithm: 'HS384' }), 'token_invalid'],
  ['HS512 with the right secret', () => jwt.sign({ user_id: 'alice' }, SECRET, { algorithm: 'HS512' }), 'token_invalid'],
  [
    'an RS256-labelled header',
    () => {
      const signed = `${b64({ alg: 'RS256' })}.${b64({ user_id: 'alice' })}`;
      return `${signed}.${createHmac('sha256', SECRET).update(signed).digest('base64url')}`;
    },
    'token_invalid',
  ],
  ['garbage', () => 'garbage', 'token_invalid'],
  ['a token over 8 KiB', () => jwt.sign({ user_id: 'alice', pad: 'x'.repeat(9000) }, SECRET), 'token_invalid'],
];

// verification-modes: a user_token of the wrong JSON type is a bad token like any other, judged by the mode.
const MARKER = 'not-a-string-token-marker';
const nonStringTokens: [string, unknown][] = [
  ['a number', 4242424242],
  ['an object', { token: MARKER }],
  ['true', true],
  ['an array', [MARKER]],
];

const chat = (widgetKey: string, userToken?: unknown, extra: Record<string, unknown> = {}) =>
  api.post('chat', { widget_key: widgetKey, user_id: 'alice', user_token: userToken, message: 'hello', ...extra });

describe('enforce mode', () => {
  it.each(attacks)('refuses %s with 403 and reason %s', async (_name, token, reason) => {
    const answer = await chat('ab_test_enforce00', token());
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: { code: 'identity_verification_failed', message: expect.any(String), reason } });
    expect(answer.headers.get('Halo-Identity')).toBe(`unverified; reason=${reason}`);
  });

  it('accepts a valid token, marks it verified, and verifies with any rotation secret', async () => {
    for (const secret of [SECRET, NEXT]) {
      const answer = await chat('ab_test_enforce00', await signUserToken({ user_id: 'alice', name: 'Alice' }, secret));
      expect(answer.status).toBe(200);
      expect(answer.body.identity).toEqual({ verified: true, mode: 'enforce' });
      expect(answer.headers.get('Halo-Identity')).toBe('verified');
    }
  });

  it.each(nonStringTokens)('refuses %s as user_token with 403 and reason token_invalid', async (_name, token) => {
    const answer = await chat('ab_test_enforce00', token);
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: { code: 'identity_verification_failed', message: expect.any(String), reason: 'token_invalid' } });
    expect(answer.headers.get('Halo-Identity')).toBe('unverified; reason=token_invalid');
  });

  it('lets anonymous visitors through', async () => {
    const answer = await api.post('chat', { widget_key: 'ab_test_enforce00', visitor_id: 'v-123', message: 'hi' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('Halo-Identity')).toBe('unverified; reason=anonymous');
    expect(answer.body.identity).toEqual({ verified: false, mode: 'enforce' });
  });

  it('uses trusted claims over client traits, and the default reply shows them', async () => {
    const token = await signUserToken({ user_id: 'alice', name: 'Alice', plan: 'pro' }, SECRET);
    const answer = await chat('ab_test_enforce00', token, { user_traits: { name: 'Mallory', plan: 'enterprise', color: 'red' } });
    expect(answer.body.message.text).toContain('Alice');
    expect(answer.body.message.text).toContain('pro');
    const who = await api.post('identify', {
      widget_key: 'ab_test_enforce00',
      user_id: 'alice',
      user_token: token,
      user_traits: { plan: 'enterprise' },
    });
    expect(who.body).toEqual({
      user: { user_id: 'alice', traits: { name: 'Alice', plan: 'pro', color: 'red' } },
      identity: { verified: true, mode: 'enforce' },
    });
  });
});

describe('monitor mode', () => {
  it.each(attacks)('lets %s through unverified, with reason %s in Halo-Identity', async (_name, token, reason) => {
    const answer = await chat('ab_test_monitor00', token());
    expect(answer.status).toBe(200);
    expect(answer.body.identity).toEqual({ verified: false, mode: 'monitor' });
    expect(answer.headers.get('Halo-Identity')).toBe(`unverified; reason=${reason}`);
  });

  it.each(nonStringTokens)(
    'lets %s as user_token through unverified with reason token_invalid, and logs a warning without it',
    async (_name, token) => {
      logger.lines.length = 0;
      const answer = await chat('ab_test_monitor00', token);
      expect(answer.status).toBe(200);
      expect(answer.body.identity).toEqual({ verified: false, mode: 'monitor' });
      expect(answer.headers.get('Halo-Identity')).toBe('unverified; reason=token_invalid');
      const logged = JSON.stringify(logger.lines);
      expect(logged).toContain('token_invalid');
      expect(logged).not.toContain(MARKER);
      expect(logged).not.toContain('4242424242');
    },
  );

  it('logs the reason of each unverified request, never the token or the secret', async () => {
    const token = jwt.sign({ user_id: 'bob' }, SECRET);
    logger.lines.length = 0;
    await chat('ab_test_monitor00', token);
    const logged = JSON.stringify(logger.lines);
    expect(logged).toContain('user_mismatch');
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(token.split('.')[2]);
    expect(logged).not.toContain(SECRET);
  });

  it("does not carry a verified request's trusted claims over to a later unverified one", async () => {
    const token = await signUserToken({ user_id: 'carol', name: 'Carol', plan: 'enterprise' }, SECRET);
    const verified = await api.post('identify', {
      widget_key: 'ab_test_monitor00',
      user_id: 'carol',
      user_token: token,
      user_traits: { theme: 'dark' },
    });
    expect(verified.body.user.traits).toEqual({ theme: 'dark', name: 'Carol', plan: 'enterprise' });
    const unverified = await api.post('identify', { widget_key: 'ab_test_monitor00', user_id: 'carol' });
    expect(unverified.body).toEqual({
      user: { user_id: 'carol', traits: { theme: 'dark' } },
      identity: { verified: false, mode: 'monitor' },
    });
  });

  it('gives unverified requests no trusted traits', async () => {
    const forged = jwt.sign({ user_id: 'alice', name: 'Alice', plan: 'enterprise' }, WRONG);
    const answer = await chat('ab_test_monitor00', forged, { user_traits: { name: 'Al' } });
    expect(answer.body.message.text).not.toContain('enterprise');
    expect(answer.body.message.text).toContain('not verified');
  });
});

describe('off mode', () => {
  it('ignores tokens: every request is unverified with reason verification_off', async () => {
    for (const token of [undefined, jwt.sign({ user_id: 'alice' }, SECRET), 'garbage']) {
      const answer = await chat('ab_test_off000000', token);
      expect(answer.status).toBe(200);
      expect(answer.body.identity).toEqual({ verified: false, mode: 'off' });
      expect(answer.headers.get('Halo-Identity')).toBe('unverified; reason=verification_off');
    }
  });

  it('ignores a user_token that is not a string, like any other token', async () => {
    for (const [, token] of nonStringTokens) {
      const answer = await chat('ab_test_off000000', token);
      expect(answer.status).toBe(200);
      expect(answer.body.identity).toEqual({ verified: false, mode: 'off' });
      expect(answer.headers.get('Halo-Identity')).toBe('unverified; reason=verification_off');
    }
  });

  it('a project changed to enforce at runtime enforces at once', async () => {
    projects[2]!.mode = 'enforce';
    try {
      expect((await chat('ab_test_off000000', 'garbage')).status).toBe(403);
    } finally {
      projects[2]!.mode = 'off';
    }
  });
});
