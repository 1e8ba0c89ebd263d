// Issues 27, 26 and 22 part 3: every refused request is charged to its address and refused before
// any work once the address is spent; a verified user behind that address (an office NAT)
// is charged to their user and still served; a body nested too deep is refused before it
// is parsed. A real `serve` process with the default per-user budget and a small per-address one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProjectKeys, signUserToken } from '../../src/index.js';
import { startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';
import { fromAddress } from './from-address.js';

const A = generateProjectKeys();
const B = generateProjectKeys();
const dir = mkdtempSync(join(tmpdir(), 'halo-limit-edge-'));
const config = join(dir, 'halo.config.json');
writeFileSync(
  config,
  JSON.stringify({
    projects: [
      { widgetKey: A.widgetKey, identitySecrets: [A.identitySecret], mode: 'monitor' },
      { widgetKey: B.widgetKey, identitySecrets: [B.identitySecret] },
    ],
    rateLimit: { perAddress: { burst: 20, perSecond: 0.01 }, projects: { [B.widgetKey]: { perAddress: { burst: 3, perSecond: 0.01 } } } },
  }),
);

describe('the rate limit at the edge', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(config, ['--memory']);
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (address: string, path: string, body: string, headers: Record<string, string> = {}) =>
    fromAddress(address, `${serve.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers },
      body,
    });
  const chat = (address: string, body: Record<string, unknown>) => post(address, '/api/sdk/chat', JSON.stringify(body));

  it('charges malformed bodies to the address, then answers 429 before the identity (no 400, nothing counted), while a verified user there is served', async () => {
    const office = '127.0.0.41';
    const statuses: number[] = [];
    for (let i = 0; i < 30; i += 1) statuses.push((await post(office, '/api/sdk/chat', '{"widget_key": oops')).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(400));
    expect(statuses.slice(20)).toEqual(Array(10).fill(429));
    // A malformed token-less identity from the spent address: 429, not 400.
    const malformed = await chat(office, { widget_key: A.widgetKey, user_id: 5, message: 'x' });
    expect(malformed.status).toBe(429);
    expect(Number(malformed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // A colleague with a verified token, same address: charged to their user, served.
    const token = await signUserToken({ user_id: 'colleague' }, A.identitySecret, { expiresIn: 600 });
    for (let i = 0; i < 5; i += 1) {
      const verified = await chat(office, { widget_key: A.widgetKey, user_id: 'colleague', user_token: token, message: `hi ${i}` });
      expect(verified.status).toBe(200);
      expect(verified.headers['halo-identity']).toBe('verified');
    }
    // Another address is untouched.
    expect((await chat('127.0.0.42', { widget_key: A.widgetKey, visitor_id: 'v', message: 'x' })).status).toBe(200);
  }, 60_000);

  it('once an address is spent, refuses 404, 405, 415, unknown widget keys and large or unannounced bodies with 429 before reading them', async () => {
    const spender = '127.0.0.43';
    const first: number[] = [];
    for (let i = 0; i < 20; i += 1) first.push((await post(spender, '/api/sdk/nope', '{}')).status);
    expect(first).toEqual(Array(20).fill(404));
    expect((await post(spender, '/api/sdk/nope', '{}')).status).toBe(429);
    expect((await fromAddress(spender, `${serve.url}/api/sdk/chat`)).status).toBe(429);
    expect((await post(spender, '/api/sdk/chat', 'x', { 'Content-Type': 'text/plain' })).status).toBe(429);
    expect((await chat(spender, { widget_key: 'ab_unknown_key', visitor_id: 'v', message: 'x' })).status).toBe(429);
    const large = JSON.stringify({
      widget_key: A.widgetKey,
      user_id: 'u',
      user_token: 'x',
      message: 'y'.repeat(3000),
      user_traits: { pad: 'z'.repeat(4000), more: 'w'.repeat(4000) },
    });
    expect((await post(spender, '/api/sdk/chat', large)).status).toBe(429);
  }, 60_000);

  it('refuses a body nested deeper than 32 levels before parsing it (400, even with an unknown widget key)', async () => {
    const deep = `{"widget_key":"ab_unknown_key","visitor_id":"v","x":${'['.repeat(30_000)}${']'.repeat(30_000)}}`;
    const answer = await post('127.0.0.44', '/api/sdk/chat', deep);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('nests more than 32 levels');
    // Brackets inside strings are text, not nesting.
    const text = await chat('127.0.0.44', {
      widget_key: A.widgetKey,
      visitor_id: 'v',
      message: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
    });
    expect(text.status).toBe(200);
  }, 60_000);

  it('applies a project’s own per-address budget', async () => {
    const got: number[] = [];
    for (let i = 0; i < 5; i += 1) got.push((await chat('127.0.0.45', { widget_key: B.widgetKey, visitor_id: 'v', message: 'x' })).status);
    expect(got).toEqual([200, 200, 200, 429, 429]);
    expect((await chat('127.0.0.45', { widget_key: A.widgetKey, visitor_id: 'v', message: 'x' })).status).toBe(200);
  }, 60_000);
});
