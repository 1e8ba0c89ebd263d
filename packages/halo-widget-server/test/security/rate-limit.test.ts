// Issue items 1 and 5: limits on by default, applied before verification to every request
// that does not end verified, keyed per client address (X-Forwarded-For with trustProxy) and
// per project; verified users keep their own budget, which nobody else can drain.
import { describe, expect, it } from 'vitest';
import { generateProjectKeys, signUserToken } from '../../src/index.js';
import { silentLogger, useHaloServer } from '../../../../test/helpers/server.js';

const { identitySecret: SECRET } = generateProjectKeys();
const { identitySecret: FORGER } = generateProjectKeys();
const A = 'ab_test_ratelimit_a';
const B = 'ab_test_ratelimit_b';

async function statuses(count: number, send: (i: number) => Promise<{ status: number }>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await send(i)).status);
  return out;
}

describe('the default limits', () => {
  // No rateLimit in the config: the defaults (per address burst 300, 10/s: a few hundred people behind a NAT) apply.
  const api = useHaloServer(() => ({ projects: [{ widgetKey: A }], rateLimit: undefined }));

  it('anonymous identify calls with fresh visitor ids from one address get 429 past the default address burst of 300', async () => {
    // The bucket refills at 10/s meanwhile, so a 429 comes at the 301st call or a little later.
    const got = await statuses(600, (i) => api.post('identify', { widget_key: A, visitor_id: `fresh-${i}`, user_traits: { n: i } }));
    expect(got.slice(0, 300).every((s) => s === 200)).toBe(true);
    expect(got).toContain(429);
  });
});

describe('a flood of forged tokens', () => {
  const logger = silentLogger();
  const api = useHaloServer(() => ({
    projects: [{ widgetKey: A, identitySecrets: [SECRET], mode: 'enforce' }],
    rateLimit: { burst: 5, perSecond: 0.01 },
    logger,
  }));

  it('is answered 403 for the burst, then 429 without a verdict; a verified user at the same address is still served', async () => {
    const forged = await signUserToken({ user_id: 'victim' }, FORGER);
    const answers = [];
    for (let i = 0; i < 12; i++)
      answers.push(await api.post('chat', { widget_key: A, user_id: 'victim', user_token: forged, message: 'hi' }));
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403, 403, 429, 429, 429, 429, 429, 429, 429]);
    expect(answers[6]!.headers.get('Halo-Identity')).toBeNull();
    expect(answers[6]!.headers.get('Retry-After')).toMatch(/^\d+$/);
    // The victim's own budget is untouched: only a verified request spends it.
    const real = await api.post('chat', {
      widget_key: A,
      user_id: 'victim',
      user_token: await signUserToken({ user_id: 'victim' }, SECRET),
      message: 'me',
    });
    expect(real.status).toBe(200);
  });
});

describe('monitor mode: nobody drains a victim’s budget', () => {
  const api = useHaloServer(() => ({
    projects: [{ widgetKey: A, identitySecrets: [SECRET] }],
    rateLimit: { burst: 3, perSecond: 0.01 },
    trustProxy: true,
  }));
  const from = (address: string) => ({ 'X-Forwarded-For': address });

  it('unverified requests claiming the victim spend the attacker’s address budget, not the victim’s', async () => {
    const claim = { widget_key: A, user_id: 'victim' };
    expect(await statuses(5, () => api.post('history', claim, from('203.0.113.7')))).toEqual([200, 200, 200, 429, 429]);
    const token = await signUserToken({ user_id: 'victim' }, SECRET);
    expect(await statuses(3, () => api.post('history', { ...claim, user_token: token }, from('198.51.100.1')))).toEqual([200, 200, 200]);
  });

  it('with trustProxy, each forwarded address has its own budget', async () => {
    expect(await statuses(4, () => api.post('history', { widget_key: A, visitor_id: 'v' }, from('192.0.2.1')))).toEqual([
      200, 200, 200, 429,
    ]);
    expect((await api.post('history', { widget_key: A, visitor_id: 'v' }, from('192.0.2.2'))).status).toBe(200);
    // A client cannot pick its own key by prepending entries: the proxy's is the one used.
    expect((await api.post('history', { widget_key: A, visitor_id: 'v' }, from('10.9.9.9, 192.0.2.1'))).status).toBe(429);
  });
});

describe('keys and pools', () => {
  const api = useHaloServer(() => ({ projects: [{ widgetKey: A }, { widgetKey: B }], rateLimit: { burst: 2, perSecond: 0.01 } }));

  it('without trustProxy X-Forwarded-For is ignored, and each project has its own budget for an address', async () => {
    const spoof = (i: number) => ({ 'X-Forwarded-For': `198.51.100.${i}` });
    expect(await statuses(3, (i) => api.post('history', { widget_key: A, visitor_id: 'v' }, spoof(i)))).toEqual([200, 200, 429]);
    expect(await statuses(2, () => api.post('history', { widget_key: B, visitor_id: 'v' }))).toEqual([200, 200]);
  });
});
