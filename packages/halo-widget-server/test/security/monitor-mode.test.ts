// Issue item 3 (monitor mode trusted unverified writes) and item 4 (deep nesting): verified
// marks on traits and messages, and what respond() is told.
import { describe, expect, it } from 'vitest';
import { generateProjectKeys, signUserToken, type ProjectConfig, type RespondContext } from '../../src/index.js';
import { useHaloServer } from '../../../../test/helpers/server.js';

const { identitySecret: SECRET } = generateProjectKeys();
const MONITOR = 'ab_test_secmonitor';
const ENFORCE = 'ab_test_secenforce';
const seen: RespondContext[] = [];
const SWITCHED = 'ab_test_secswitch';
const switched: ProjectConfig = { widgetKey: SWITCHED, identitySecrets: [SECRET], mode: 'monitor' };
const api = useHaloServer(() => ({
  projects: [
    { widgetKey: MONITOR, identitySecrets: [SECRET], mode: 'monitor' },
    { widgetKey: ENFORCE, identitySecrets: [SECRET], mode: 'enforce' },
    switched,
  ],
  respond: (ctx) => {
    seen.push(structuredClone(ctx));
    return `ok ${ctx.user?.verified ? 'verified' : 'unverified'}`;
  },
}));
const token = (userId: string, claims: Record<string, unknown> = {}) => signUserToken({ user_id: userId, ...claims }, SECRET);

describe('monitor mode: unverified data never passes as verified', () => {
  it('an unverified request cannot overwrite the traits a verified one set, and what it adds is marked', async () => {
    const owner = { widget_key: MONITOR, user_id: 'victim-1' };
    await api.post('identify', { ...owner, user_token: await token('victim-1'), user_traits: { email: 'victim@acme.test', plan: 'free' } });
    const forged = await api.post('identify', {
      ...owner,
      user_traits: { email: 'attacker@evil.test', plan: 'enterprise', note: 'added' },
    });
    expect(forged.status).toBe(200);
    expect(forged.body.identity).toEqual({ verified: false, mode: 'monitor' });
    expect(forged.body.user.traits).toMatchObject({ email: 'victim@acme.test', plan: 'free', note: 'added' });

    seen.length = 0;
    const chat = await api.post('chat', { ...owner, user_token: await token('victim-1', { name: 'Victim' }), message: 'hi' });
    expect(chat.status).toBe(200);
    const user = seen[0]!.user!;
    expect(user.verified).toBe(true);
    expect(user.claims).toEqual({ name: 'Victim' });
    expect(user.clientTraits).toEqual({ email: 'victim@acme.test', plan: 'free', note: 'added' });
    expect(user.verifiedTraits?.sort()).toEqual(['email', 'plan']);
    // The compatible `traits` of a verified request holds nothing an unverified one wrote.
    expect(user.traits).toEqual({ email: 'victim@acme.test', plan: 'free', name: 'Victim' });
  });

  it('history marks the messages an unverified request stored, and only those', async () => {
    const owner = { widget_key: MONITOR, user_id: 'victim-2' };
    await api.post('chat', { ...owner, user_token: await token('victim-2'), message: 'mine' });
    const forged = await api.post('chat', { ...owner, message: 'not mine' });
    expect(forged.body.message.unverified).toBe(true);
    const history = await api.post('history', { ...owner, user_token: await token('victim-2') });
    expect(history.body.messages.map((m: { text: string; unverified?: true }) => [m.text.slice(0, 8), m.unverified ?? null])).toEqual([
      ['mine', null],
      ['ok verif', null],
      ['not mine', true],
      ['ok unver', true],
    ]);
    expect(Object.keys(history.body.messages[0]).sort()).toEqual(['author', 'conversation_id', 'created_at', 'id', 'role', 'seq', 'text']);
  });

  it('the marks stay after a switch to enforce', async () => {
    const owner = { widget_key: SWITCHED, user_id: 'victim-3' };
    await api.post('identify', { ...owner, user_traits: { plan: 'enterprise' } });
    await api.post('chat', { ...owner, message: 'forged' });
    switched.mode = 'enforce';
    seen.length = 0;
    const chat = await api.post('chat', { ...owner, user_token: await token('victim-3'), message: 'real' });
    expect(chat.body.identity).toEqual({ verified: true, mode: 'enforce' });
    const user = seen[0]!.user!;
    expect(user.clientTraits).toEqual({ plan: 'enterprise' });
    expect(user.verifiedTraits).toEqual([]);
    expect(user.traits).toEqual({});
    const history = await api.post('history', { ...owner, user_token: await token('victim-3') });
    expect(history.body.messages.map((m: { unverified?: true }) => m.unverified ?? false)).toEqual([true, true, false, false]);
  });

  it('in enforce a user’s own plan trait reaches respond() as a client trait, apart from the claims', async () => {
    seen.length = 0;
    const owner = { widget_key: ENFORCE, user_id: 'user-4', user_token: await token('user-4', { plan: 'free' }) };
    await api.post('chat', { ...owner, user_traits: { plan: 'enterprise' }, message: 'upgrade me' });
    const user = seen[0]!.user!;
    expect(user.claims).toEqual({ plan: 'free' });
    expect(user.clientTraits).toEqual({ plan: 'enterprise' });
    expect(user.traits.plan).toBe('free');
  });
});

describe('deep nesting', () => {
  it('a trait nested 4 100 levels is 400 naming the limit, and the identity keeps working', async () => {
    const owner = { widget_key: MONITOR, visitor_id: 'v-deep' };
    const deep = `${'{"a":'.repeat(4100)}1${'}'.repeat(4100)}`;
    const refused = await api.post('identify', `{"widget_key":"${MONITOR}","visitor_id":"v-deep","user_traits":{"deep":${deep}}}`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/nests more than/);
    expect((await api.post('identify', { ...owner, user_traits: { fine: { nested: true } } })).status).toBe(200);
    expect((await api.post('identify', owner)).status).toBe(200);
  });

  it('traits over the size limit are 400 with the figures', async () => {
    const refused = await api.post('identify', { widget_key: MONITOR, visitor_id: 'v-big', user_traits: { note: 'x'.repeat(9000) } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/bytes of JSON; the limit is 4096/);
  });
});
