// Issue 27: the admin token could be guessed at 8 740 tries a second from one address, with no
// 429 and no log line. Real `serve` processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProjectKeys } from '../../src/index.js';
import { configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';
import { fromAddress } from './from-address.js';

const TOKEN = 'op_guess_token_0123456789abcdefXYZ';
const { widgetKey, identitySecret } = generateProjectKeys();
const config = configFile([{ widgetKey, identitySecrets: [identitySecret] }]);
afterAll(() => config.remove());

describe('operator authentication', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(config.file, ['--memory'], { HALO_ADMIN_TOKEN: TOKEN });
  }, 90_000);
  afterAll(() => serve?.stop());

  const projects = (address: string, token: string) =>
    fromAddress(address, `${serve.url}/api/admin/projects`, { headers: { Authorization: `Bearer ${token}` } });

  it('throttles failed attempts per address (429 with Retry-After, even for the right token then) and logs them without what was sent', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 14; i += 1) statuses.push((await projects('127.0.0.21', `guess-${i}-0123456789abcdef`)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(4).fill(429));
    const right = await projects('127.0.0.21', TOKEN);
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another address (the operator) is not locked out.
    expect((await projects('127.0.0.22', TOKEN)).status).toBe(200);
    const output = serve.output();
    // serve logs JSON lines (pino): the quotes around the address arrive escaped.
    expect(output).toMatch(/failed operator authentication from \\?"127\.0\.0\.21\\?"/);
    expect(output).not.toContain('guess-');
  }, 60_000);

  it('refuses to start with an operator token too easy to guess, saying how to make one', async () => {
    const weak = startServe(config.file, ['--memory'], { HALO_ADMIN_TOKEN: 'password12345678' });
    await expect(weak).rejects.toThrow(/too easy to guess[\s\S]*openssl rand/);
  }, 90_000);
});
