// Issue 27: a few addresses holding keep-alive or slow-header connections filled the global
// connection cap and locked everyone else out. Now the idle connections of the addresses
// holding most are shed to make room. A real `serve` process with a small cap (64).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';
import { holdConnections } from './connection-flood.js';
import { fromAddress } from './from-address.js';

const KEY = 'ab_test_shedding_0123456';
const dir = mkdtempSync(join(tmpdir(), 'halo-shedding-'));
const config = join(dir, 'halo.config.json');
writeFileSync(config, JSON.stringify({ projects: [{ widgetKey: KEY }], rateLimit: false, maxConnections: 64 }));

describe('connections held by a few addresses', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(config, ['--memory']);
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leave at least 95 % of other clients’ requests served (keep-alive every 4 s, and slow headers)', async () => {
    const keepAlive = holdConnections(serve.url, ['127.0.0.51', '127.0.0.52', '127.0.0.53'], 24, 4000);
    const slow = holdConnections(serve.url, ['127.0.0.54', '127.0.0.55'], 24, 0);
    try {
      await new Promise((done) => setTimeout(done, 1500)); // the cap is full
      let served = 0;
      const total = 40;
      for (let i = 0; i < total; i += 1) {
        const answer = await fromAddress(`127.0.0.${100 + (i % 20)}`, `${serve.url}/api/sdk/chat`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ widget_key: KEY, visitor_id: `v${i}`, message: 'hi' }),
        }).catch(() => null);
        if (answer?.status === 200) served += 1;
      }
      expect(served / total).toBeGreaterThanOrEqual(0.95);
      // The attackers did hold connections meanwhile (they were shed and came back).
      expect(keepAlive.opened() + slow.opened()).toBeGreaterThan(120);
    } finally {
      keepAlive.stop();
      slow.stop();
    }
  }, 120_000);
});
