// Issue 6: random bodies and tokens at the real server — never a 5xx, and it keeps serving.
// 1 000 requests in the default run; `npm run test:soak` runs 10 000.
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { generateProjectKeys } from '../../src/index.js';
import { prng } from '../../../../test/helpers/prng.mjs';
import { useHaloServer } from '../../../../test/helpers/server.js';

const N = Number(process.env.HALO_FUZZ_N ?? (process.env.HALO_SOAK ? 10_000 : 1_000));
const { identitySecret: SECRET } = generateProjectKeys();
const KEYS = ['ab_test_fuzzenforce', 'ab_test_fuzzmonitor', 'ab_test_fuzzoff000'];
const api = useHaloServer(() => ({
  projects: [
    { widgetKey: KEYS[0]!, identitySecrets: [SECRET], mode: 'enforce' },
    { widgetKey: KEYS[1]!, identitySecrets: [SECRET], mode: 'monitor' },
    { widgetKey: KEYS[2]!, mode: 'off' },
  ],
}));

describe('fuzz', () => {
  it(`${N} random bodies and tokens: 0 × 5xx, and the server still serves`, async () => {
    const random = prng(20261124);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const str = () => pick(['', 'a', 'alice', 'bob', '😀', 'x'.repeat(300), '\u0000', '<script>', 'ha_secret_x', ...KEYS]);
    const token = () =>
      pick([
        () => jwt.sign({ user_id: pick(['alice', 'bob', 7, null]), exp: Math.floor(Date.now() / 1000) + pick([-100, 100, 1e10]) }, SECRET),
        () => jwt.sign({ user_id: 'alice' }, 'ha_secret_wrong'),
        () => jwt.sign({ user_id: 'alice' }, SECRET, { algorithm: pick(['HS384', 'HS512'] as const) }),
        () =>
          `${Buffer.from(JSON.stringify({ alg: pick(['none', 'RS256', 'HS256', 5]) })).toString('base64url')}.${Buffer.from(JSON.stringify({ user_id: 'alice' })).toString('base64url')}.${str()}`,
        () => str(),
        () => [...Array(Math.floor(random() * 5))].map(str).join('.'),
      ])();
    const value = (): unknown =>
      pick([() => str(), () => random() * 1e6, () => null, () => true, () => [str()], () => ({ k: str() }), token])();
    const counts = new Map<number, number>();
    const batch = 25;
    for (let i = 0; i < N; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, N - i) }, async () => {
          const body: Record<string, unknown> = {};
          if (random() < 0.9) body.widget_key = random() < 0.8 ? pick(KEYS) : value();
          if (random() < 0.6) body.user_id = random() < 0.7 ? pick(['alice', 'bob']) : value();
          if (random() < 0.3) body.visitor_id = random() < 0.7 ? `v${Math.floor(random() * 50)}` : value();
          if (random() < 0.6) body.user_token = token();
          if (random() < 0.7) body.message = random() < 0.7 ? str() : value();
          if (random() < 0.2) body.conversation_id = value();
          if (random() < 0.2) body.client_message_id = value();
          if (random() < 0.2) body.user_traits = random() < 0.5 ? { name: str(), plan: str() } : value();
          let raw = JSON.stringify(body);
          if (random() < 0.05) raw = raw.slice(0, Math.floor(random() * raw.length));
          const response = await fetch(`${api.url}/api/sdk/${pick(['chat', 'identify', 'history', 'nope'])}`, {
            method: random() < 0.97 ? 'POST' : pick(['PUT', 'DELETE', 'PATCH']),
            headers: { 'Content-Type': random() < 0.97 ? 'application/json' : 'text/plain' },
            body: raw,
          });
          await response.arrayBuffer();
          counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
        }),
      );
    }
    const figures = Object.fromEntries([...counts].sort(([a], [b]) => a - b));
    console.info(`[fuzz] ${N} requests by status:`, JSON.stringify(figures));
    expect([...counts.keys()].filter((status) => status >= 500)).toEqual([]);
    const alive = await api.post('chat', { widget_key: KEYS[2], visitor_id: 'after-fuzz', message: 'still serving?' });
    expect(alive.status).toBe(200);
  }, 300_000);
});
