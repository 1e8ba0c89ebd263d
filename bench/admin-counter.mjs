// The rollout report's cost on the chat path: one counter.record() per judged request,
// next to the verification every identified request already pays (verifyUserToken), and
// a flush of a realistic hour of counts into the memory store.
// Run: npm run build && node bench/admin-counter.mjs [--ms 300] [--rounds 3]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT } from '../test/helpers/sizes.mjs';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '300' }, rounds: { type: 'string', default: '3' } } });
const ms = Number(values.ms);
const rounds = Number(values.rounds);
const server = await import(pathToFileURL(join(ROOT, '../halo-widget-server/dist/index.mjs')).href);

/** ops/s of a synchronous `fn`, best of `rounds` windows of `ms`. */
function opsPerSecond(fn) {
  let best = 0;
  for (let round = 0; round < rounds; round += 1) {
    let ops = 0;
    const start = process.hrtime.bigint();
    const end = start + BigInt(ms) * 1_000_000n;
    let now = start;
    while (now < end) {
      for (let i = 0; i < 500; i += 1) fn(ops + i);
      ops += 500;
      now = process.hrtime.bigint();
    }
    best = Math.max(best, ops / (Number(now - start) / 1e9));
  }
  return best;
}

// The counter is reached through the admin surface, as the server uses it.
const surface = await server.createAdminSurface({ flushMs: 3_600_000 }, [{ widgetKey: 'ab_live_bench' }], {
  info() {},
  warn() {},
  error: console.error,
});
const record = surface.onIdentityResult;
const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
const RESULTS = ['verified', 'verified', 'verified', 'token_expired', 'token_missing', 'anonymous'];
const recordOps = opsPerSecond((i) =>
  record('ab_live_bench', RESULTS[i % 6], RESULTS[i % 6] === 'anonymous' ? null : users[i % 1000], 'unknown'),
);

const { identitySecret } = server.generateProjectKeys();
const token = await server.signUserToken({ user_id: 'user-1', name: 'Bench' }, identitySecret, { expiresIn: 3600 });
const verifyOps = opsPerSecond(() => server.verifyUserToken(token, [identitySecret], { userId: 'user-1' }));

const flushStart = process.hrtime.bigint();
await surface.counter.flush();
const flushMs = Number(process.hrtime.bigint() - flushStart) / 1e6;
await surface.close();

const result = {
  recordPerSecond: Math.round(recordOps),
  recordNs: +(1e9 / recordOps).toFixed(1),
  verifyPerSecond: Math.round(verifyOps),
  verifyNs: +(1e9 / verifyOps).toFixed(1),
  recordShareOfVerify: +((verifyOps / recordOps) * 100).toFixed(2),
  flushMsAfterRun: +flushMs.toFixed(2),
};
console.log(JSON.stringify(result, null, 2));
