// /healthz, /readyz against a real PostgreSQL, and Prometheus /metrics on its own listener.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaloServer, type HaloServer } from '../../src/index.js';
import { createPostgresStore } from '../../src/store/create-postgres-store.js';
import { metrics } from '../../src/ops/metrics.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { silentLogger } from '../../../../test/helpers/server.js';

const pg = usePostgres();

describe('health and metrics', () => {
  let server: HaloServer;
  let store: Awaited<ReturnType<typeof createPostgresStore>>;
  beforeAll(async () => {
    store = await createPostgresStore({ connectionString: pg.cluster.url });
    server = await startHaloServer({
      logger: silentLogger(),
      rateLimit: false,
      store,
      metrics: { port: 0 },
      projects: [{ widgetKey: 'ab_test_ops', identitySecrets: ['ha_secret_' + 'q'.repeat(40)], mode: 'monitor' }],
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  it('/healthz answers 200 while /readyz follows the database: 200 when reachable and migrated, 503 while it is down, 200 again after', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready' });
    await pg.cluster.stop();
    try {
      const down = await fetch(`${server.url}/readyz`);
      expect(down.status).toBe(503);
      const body = (await down.json()) as { status: string; reason: string };
      expect(body.status).toBe('not_ready');
      expect(body.reason).not.toContain('postgres://');
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await pg.cluster.start();
    }
    await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 30_000, interval: 500 }).toBe(200);
  }, 60_000);

  it('/metrics is served on its own port (not the API’s) with identity decisions, requests by route, and the series other modules record', async () => {
    await fetch(`${server.url}/api/sdk/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ widget_key: 'ab_test_ops', user_id: 'ann', user_token: 'forged', message: 'hi' }),
    });
    metrics.liveChannels.inc();
    metrics.modelCalls.inc({ outcome: 'error' });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect(server.metricsUrl).toBeDefined();
    const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
    expect(text).toMatch(/halo_identity_decisions_total\{mode="monitor",result="token_invalid"\} [1-9]/);
    expect(text).toMatch(/halo_http_requests_total\{route="sdk_chat",status="200"\} [1-9]/);
    expect(text).toMatch(/halo_http_request_duration_seconds_count\{route="sdk_chat"\} [1-9]/);
    expect(text).toMatch(/halo_store_batch_size_count [1-9]/);
    expect(text).toMatch(/halo_live_channels [1-9]/);
    expect(text).toMatch(/halo_model_calls_total\{outcome="error"\} [1-9]/);
    expect(text).toMatch(/halo_process_resident_memory_bytes/);
    metrics.liveChannels.dec();
  });
});
