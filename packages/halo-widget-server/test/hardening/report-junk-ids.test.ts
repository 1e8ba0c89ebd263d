// Issue 27 (low): 250 junk token-less user ids from 10 addresses filled the report's
// `token_missing` ids (capped at 200 per hour) and hid the real users. A real `serve` process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProjectKeys } from '../../src/index.js';
import { configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';
import { fromAddress } from './from-address.js';

const TOKEN = 'op_junk_ids_token_0123456789abcdefXYZ';
const { widgetKey, identitySecret } = generateProjectKeys();
const config = configFile([{ widgetKey, identitySecrets: [identitySecret], mode: 'monitor' }]);

describe('the token_missing ids of the report', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(config.file, ['--memory'], { HALO_ADMIN_TOKEN: TOKEN });
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    config.remove();
  });

  const identify = (address: string, userId: string) =>
    fromAddress(address, `${serve.url}/api/sdk/identify`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ widget_key: widgetKey, user_id: userId }),
    });

  it('take at most 3 ids per client address an hour, so junk from a few addresses cannot hide the real users', async () => {
    for (let i = 0; i < 250; i += 1) expect((await identify(`127.0.0.${60 + (i % 10)}`, `aaa-junk-${i}`)).status).toBe(200);
    for (let i = 0; i < 20; i += 1) expect((await identify(`127.0.1.${1 + i}`, `real-user-${i}`)).status).toBe(200);
    const response = await fetch(`${serve.url}/api/admin/projects/${widgetKey}/identity-report`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    const report = (await response.json()) as {
      windows: { '1h': { results: { token_missing: { requests: number; users: number; usersCapped: boolean } } } };
    };
    const line = report.windows['1h'].results.token_missing;
    expect(line.requests).toBe(270);
    // 10 addresses × 3 junk ids, and every real user.
    expect(line.users).toBe(50);
    expect(line.usersCapped).toBe(false);
  }, 120_000);
});
