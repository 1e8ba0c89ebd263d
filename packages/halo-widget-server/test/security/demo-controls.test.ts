// Issue item 8: the demo's control endpoints (/demo/mode, /demo/rotate) accept only same-origin JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain-JS demo module, no types
import { startDemo } from '../../../../demo/server.mjs';

let demo: { url: string; project: { mode: string; identitySecrets: string[] }; close(): Promise<void> };
const quiet = { info() {}, warn() {}, error: console.error };

beforeAll(async () => {
  demo = await startDemo({ port: 0, logger: quiet, initialMode: 'monitor' });
});
afterAll(async () => {
  await demo?.close();
});

const post = (path: string, body: string, headers: Record<string, string>) =>
  fetch(`${demo.url}${path}`, { method: 'POST', headers, body });

describe('demo control endpoints', () => {
  it('refuse a cross-site text/plain POST (a form or no-preflight fetch) with 415 and change nothing', async () => {
    const secrets = [...demo.project.identitySecrets];
    expect((await post('/demo/mode', '{"mode":"off"}', { 'Content-Type': 'text/plain', Origin: 'https://evil.example' })).status).toBe(415);
    expect((await post('/demo/rotate', '{}', { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await post('/demo/mode', 'mode=off', { 'Content-Type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect(demo.project.mode).toBe('monitor');
    expect(demo.project.identitySecrets).toEqual(secrets);
  });

  it('refuse JSON from another origin or site with 403', async () => {
    expect(
      (await post('/demo/mode', '{"mode":"off"}', { 'Content-Type': 'application/json', Origin: 'https://evil.example' })).status,
    ).toBe(403);
    expect((await post('/demo/rotate', '{}', { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect(demo.project.mode).toBe('monitor');
  });

  it('accept same-origin JSON', async () => {
    const answer = await post('/demo/mode', '{"mode":"enforce"}', {
      'Content-Type': 'application/json',
      Origin: demo.url,
      'Sec-Fetch-Site': 'same-origin',
    });
    expect(answer.status).toBe(200);
    expect(demo.project.mode).toBe('enforce');
  });
});
