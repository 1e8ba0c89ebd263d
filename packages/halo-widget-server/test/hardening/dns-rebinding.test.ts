// Issue 27 (low): the demo's controls and the admin API derived the server's own origin from
// `Host`, so a DNS-rebinding page (Host and Origin both evil.example:port) passed as same-origin.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain-JS demo module, no types
import { startDemo } from '../../../../demo/server.mjs';
import { generateProjectKeys } from '../../src/index.js';
import { configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';

const TOKEN = 'op_rebinding_token_0123456789abcdefXYZ';
const { widgetKey, identitySecret } = generateProjectKeys();
const config = configFile([{ widgetKey, identitySecrets: [identitySecret] }]);

/** One request with a chosen Host header (fetch cannot set it). */
function send(url: string, method: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('a DNS-rebinding Host', () => {
  let serve: ServeProcess;
  let demo: { url: string; project: { mode: string }; close(): Promise<void> };
  beforeAll(async () => {
    serve = await startServe(config.file, ['--memory'], { HALO_ADMIN_TOKEN: TOKEN });
    demo = await startDemo({ port: 0, logger: { info() {}, warn() {}, error: console.error }, initialMode: 'monitor' });
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    await demo?.close();
    config.remove();
  });

  it('is refused by the admin API (403), with or without a matching Origin; the listen address and localhost are served', async () => {
    const { port } = new URL(serve.url);
    const url = `${serve.url}/api/admin/projects/${widgetKey}/settings`;
    const base = { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` };
    const patch = JSON.stringify({ maxTokenLifetime: '1h' });
    expect(await send(url, 'PATCH', { ...base, Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` }, patch)).toBe(403);
    expect(await send(url, 'PATCH', { ...base, Host: `evil.example:${port}` }, patch)).toBe(403);
    expect(await send(url, 'PATCH', { ...base, Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}` }, patch)).toBe(200);
    expect(await send(url, 'PATCH', { ...base, Host: `localhost:${port}`, Origin: `http://localhost:${port}` }, patch)).toBe(200);
  }, 60_000);

  it('is refused by the demo’s controls (403), and changes nothing', async () => {
    const { port } = new URL(demo.url);
    const body = '{"mode":"off"}';
    const json = { 'Content-Type': 'application/json' };
    expect(
      await send(`${demo.url}/demo/mode`, 'POST', { ...json, Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` }, body),
    ).toBe(403);
    expect(await send(`${demo.url}/demo/mode`, 'POST', { ...json, Host: `evil.example:${port}` }, body)).toBe(403);
    expect(demo.project.mode).toBe('monitor');
  }, 60_000);
});
