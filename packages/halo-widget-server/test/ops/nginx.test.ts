// Behind a proxy, for real: Debian's nginx (a private instance) in front of two `serve`
// processes on one PostgreSQL, configured with docs/operations.md's own nginx block. With
// trustProxy the client address comes from X-Forwarded-For, so the rate limit counts each real
// client; the live channel streams through nginx unbuffered, fed by either instance.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, usePostgres } from '../../../../test/helpers/postgres.js';
import { startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';

const NGINX = '/usr/sbin/nginx';
const BIN = join(import.meta.dirname, '../../bin/halo-widget-server.mjs');
const pg = usePostgres();
const dir = mkdtempSync(join(tmpdir(), 'halo-nginx-'));
const instances: ServeProcess[] = [];
let nginx: ChildProcess | undefined;
let proxyUrl = '';

/** POSTs a chat through the proxy from `localAddress`; answers the status and the body. */
function chatFrom(localAddress: string, visitor: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ widget_key: 'ab_test_proxy', visitor_id: visitor, message: 'hi' });
    const req = request(
      `${proxyUrl}/api/sdk/chat`,
      { method: 'POST', localAddress, agent: false, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * docs/operations.md's nginx block as nginx.conf: its upstream servers are the two instances
 * and `listen 443 ssl` + `server_name` become a loopback port; the rest is used as documented.
 */
function nginxConfig(port: number): string {
  const doc = readFileSync(join(import.meta.dirname, '../../../../docs/operations.md'), 'utf8');
  const block = /## Behind nginx[\s\S]*?```nginx\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/operations.md has no nginx block under "## Behind nginx"');
  const upstreams = instances.map((s) => `    server ${new URL(s.url).host};`).join('\n');
  const servers = block.replace(/^(\s*server \d[^;]*;\n)+/m, `${upstreams}\n`);
  const site = servers.replace(/listen 443 ssl;\n\s*server_name [^;]*;/, `listen 127.0.0.1:${port};`);
  if (site === servers || servers === block) throw new Error('docs/operations.md’s nginx block changed shape: update nginxConfig');
  return `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
error_log ${dir}/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi; uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
${site}}
`;
}

/** Opens the live channel through the proxy from `localAddress`; its text so far, growing as frames arrive. */
function channelFrom(localAddress: string, visitor: string): Promise<{ status: number; text: () => string; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${proxyUrl}/api/sdk/channel`,
      { method: 'POST', localAddress, agent: false, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('error', () => undefined);
        resolve({ status: res.statusCode!, text: () => text, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ widget_key: 'ab_test_proxy', visitor_id: visitor }));
  });
}

/** Resolves once `check()` holds (polled every 10 ms); the milliseconds it took, or Infinity past `ms`. */
async function within(ms: number, check: () => boolean): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) return Infinity;
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}

describe.runIf(existsSync(NGINX))('two serve instances behind nginx', () => {
  beforeAll(async () => {
    const config = join(dir, 'halo.config.json');
    // A small budget, so a few requests spend it; one proxy in front: trustProxy 1.
    writeFileSync(
      config,
      JSON.stringify({ projects: [{ widgetKey: 'ab_test_proxy' }], trustProxy: 1, rateLimit: { burst: 3, perSecond: 0.01 } }),
    );
    for (let i = 0; i < 2; i++) instances.push(await startServe(config, ['--log-format', 'pretty'], { DATABASE_URL: pg.cluster.url }));
    const port = await freePort();
    for (const sub of ['logs', 'tmp']) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(port));
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', `daemon off; pid ${dir}/nginx.pid;`], { stdio: 'inherit' });
    proxyUrl = `http://127.0.0.1:${port}`;
    // Up once it answers /healthz through the proxy.
    for (let waited = 0; (await fetch(`${proxyUrl}/healthz`).catch(() => null))?.status !== 200; waited += 200) {
      if (waited > 30_000) throw new Error(`nginx did not answer in 30 s (see ${dir}/logs/error.log)`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 180_000);

  afterAll(async () => {
    nginx?.kill('SIGQUIT');
    await Promise.all(instances.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers through nginx from both instances, with the request id nginx made', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const answer = await fetch(`${proxyUrl}/api/sdk/history`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ widget_key: 'ab_test_proxy', visitor_id: `v-id-${i}` }),
      });
      expect(answer.status).toBe(200);
      ids.add(answer.headers.get('X-Request-Id')!);
    }
    // nginx's $request_id: 32 hex characters, a new one per request, kept by the service.
    expect([...ids].every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
    expect(ids.size).toBe(6);
  });

  it('rate-limits each real client by its own address (X-Forwarded-For), not the proxy’s', async () => {
    const statuses: number[] = [];
    // Two instances, each with its own budget of 3: a dozen requests spend both.
    for (let i = 0; i < 12; i++) statuses.push((await chatFrom('127.0.0.2', `v-a-${i}`)).status);
    expect(statuses).toContain(429);
    // Another client behind the same proxy still has its whole budget.
    expect((await chatFrom('127.0.0.3', 'v-b-1')).status).toBe(200);
  });

  it('carries the live channel through nginx unbuffered: a message written through either instance arrives within 1 s', async () => {
    // An agent account and its API token, made with the agents CLI on the same database.
    const env = { ...process.env, DATABASE_URL: pg.cluster.url };
    const cli = (args: string[], input = '') => spawnSync(process.execPath, [BIN, 'agents', ...args], { env, input, encoding: 'utf8' });
    const added = cli(['add', '--email', 'nia@example.com', '--name', 'Nia', '--role', 'agent'], 'a long password for Nia\n');
    expect(added.status, added.stderr).toBe(0);
    const token = cli(['token', '--email', 'nia@example.com']);
    expect(token.status, token.stderr).toBe(0);
    // The visitor's conversation, opened by a chat through the proxy (a client of its own address).
    const chat = await chatFrom('127.0.0.4', 'v-live');
    expect(chat.status, chat.body).toBe(200);
    const conversation = (JSON.parse(chat.body) as { conversation_id: string }).conversation_id;
    const channel = await channelFrom('127.0.0.4', 'v-live');
    try {
      expect(channel.status).toBe(200);
      expect(await within(5000, () => channel.text().includes('event: ready'))).toBeLessThan(5000);
      // One instance holds the channel; a message written through each, so one comes from the other.
      for (const instance of instances) {
        const text = `from ${instance.url}`;
        const sent = Date.now();
        const written = await fetch(`${instance.url}/api/agent/conversations/${encodeURIComponent(conversation)}/messages`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token.stdout.trim()}` },
          body: JSON.stringify({ text, client_message_id: `cm_${crypto.randomUUID()}` }),
        });
        expect(written.status, await written.clone().text()).toBeLessThan(300);
        // Streamed as written: from the POST to the frame at the client, through nginx, in under 1 s.
        expect(await within(5000, () => channel.text().includes(JSON.stringify(text)))).toBeLessThan(5000);
        expect(Date.now() - sent).toBeLessThan(1000);
      }
    } finally {
      channel.close();
    }
  });
});
