// The log of refused and unverified identified requests: structured, bounded, never a token.
import { Writable } from 'node:stream';
import { request, Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from 'halo-widget/server';
import { startHaloServer, type HaloServer } from '../../src/index.js';
import { createDecisionLog } from '../../src/ops/decision-log.js';
import { createJsonLogger } from '../../src/ops/json-logger.js';

const SECRET = 'ha_secret_' + 'k'.repeat(40);
const OTHER = 'ha_secret_' + 'z'.repeat(40);

/** A JSON logger writing into memory, and its lines. */
function memoryLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createJsonLogger({ destination }), lines };
}

/** POSTs `count` chat bodies from `bodyOf(i)` over keep-alive, `parallel` at a time; answers the statuses seen. */
async function flood(url: string, count: number, parallel: number, bodyOf: (i: number) => unknown): Promise<Map<number, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: parallel });
  const statuses = new Map<number, number>();
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((done, fail) => {
      const body = JSON.stringify(bodyOf(i));
      const req = request(`${url}/api/sdk/chat`, { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
        statuses.set(res.statusCode!, (statuses.get(res.statusCode!) ?? 0) + 1);
        res.resume().on('end', done);
      });
      req.on('error', fail);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await one(next++);
    }),
  );
  agent.destroy();
  return statuses;
}

describe('the decision log under a flood', () => {
  const { logger, lines } = memoryLogger();
  let server: HaloServer;
  beforeAll(async () => {
    server = await startHaloServer({
      logger,
      rateLimit: false,
      projects: [{ widgetKey: 'ab_test_flood', identitySecrets: [SECRET], mode: 'enforce' }],
    });
  });
  afterAll(() => server.close());

  it('a flood of 100 000 refused requests (each a new user, a forged token) writes a bounded number of lines, none with a token or secret', async () => {
    const forged = await signUserToken({ user_id: 'x' }, OTHER);
    const started = Date.now();
    const statuses = await flood(server.url, 100_000, 32, (i) => ({
      widget_key: 'ab_test_flood',
      user_id: `u${i}`,
      user_token: `${forged}${i % 10}`,
      message: 'hi',
    }));
    const seconds = (Date.now() - started) / 1000;
    expect(statuses.get(403)).toBe(100_000);
    // 50 at once, then 1 a second, plus one line every 10 s saying how many were held back.
    const bound = 50 + Math.ceil(seconds) + Math.ceil(seconds / 10) + 1;
    console.info(`[decision log] 100000 refused requests in ${seconds.toFixed(1)} s wrote ${lines.length} log lines (bound ${bound})`);
    expect(lines.length).toBeGreaterThanOrEqual(50);
    expect(lines.length, 'lines written').toBeLessThanOrEqual(bound);
    const text = lines.join('\n');
    expect(text).not.toContain(forged.slice(forged.lastIndexOf('.') + 1));
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(OTHER);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ level: 40, widgetKey: 'ab_test_flood', mode: 'enforce', decision: 'refused', reason: 'token_invalid' });
    expect(first.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(text).toMatch(/held back by the log's rate limit/);
  }, 600_000);
});

describe('one decision line per request', () => {
  const { logger, lines } = memoryLogger();
  let server: HaloServer;
  beforeAll(async () => {
    server = await startHaloServer({
      logger,
      rateLimit: false,
      projects: [
        { widgetKey: 'ab_test_enf', identitySecrets: [SECRET], mode: 'enforce' },
        { widgetKey: 'ab_test_mon', identitySecrets: [SECRET], mode: 'monitor' },
      ],
    });
  });
  afterAll(() => server.close());

  const chat = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/sdk/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('a refused token under enforce is logged as JSON with the request id, decision and reason — and never the token', async () => {
    const expired = await signUserToken({ user_id: 'ann' }, SECRET, { expiresIn: -60 });
    const answer = await chat(
      { widget_key: 'ab_test_enf', user_id: 'ann', user_token: expired, message: 'hi' },
      { 'X-Request-Id': 'req-from-proxy-1' },
    );
    expect(answer.status).toBe(403);
    expect(answer.headers.get('X-Request-Id')).toBe('req-from-proxy-1');
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.requestId === 'req-from-proxy-1');
    expect(line).toMatchObject({ decision: 'refused', reason: 'token_expired', userId: 'ann', mode: 'enforce', widgetKey: 'ab_test_enf' });
    expect(lines.join('\n')).not.toContain(expired);
  });

  it('an unverified request under monitor is logged with its own fresh request id (a forged-looking one is replaced)', async () => {
    const answer = await chat(
      { widget_key: 'ab_test_mon', user_id: 'bob', user_token: 'nonsense', message: 'hi' },
      { 'X-Request-Id': 'bad id\twith tab' },
    );
    expect(answer.status).toBe(200);
    const id = answer.headers.get('X-Request-Id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.requestId === id);
    expect(line).toMatchObject({ decision: 'unverified', reason: 'token_invalid', userId: 'bob', mode: 'monitor' });
  });
});

describe('what the browser cannot show', () => {
  const { logger, lines } = memoryLogger();
  let server: HaloServer;
  beforeAll(async () => {
    server = await startHaloServer({
      logger,
      rateLimit: false,
      projects: [{ widgetKey: 'ab_test_origin', allowedOrigins: ['https://app.example'] }],
    });
  });
  afterAll(() => server.close());

  it('a page origin missing from allowedOrigins is logged with the fix (the browser only shows a CORS error)', async () => {
    const answer = await fetch(`${server.url}/api/sdk/history`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: 'https://staging.example' },
      body: JSON.stringify({ widget_key: 'ab_test_origin', visitor_id: 'v1' }),
    });
    expect(answer.status).toBe(403);
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.reason === 'origin_not_allowed');
    expect(line).toMatchObject({ decision: 'refused', origin: 'https://staging.example', widgetKey: 'ab_test_origin' });
    expect(line.msg).toContain("add it to the project's allowedOrigins");
  });

  it('a path outside /api/sdk/ (an apiBase with a wrong prefix) is a 404 with reason unknown_path', async () => {
    const answer = await fetch(`${server.url}/support/api/sdk/history`, { method: 'POST', body: '{}' });
    expect(answer.status).toBe(404);
    expect(((await answer.json()) as { error: { reason: string } }).error).toMatchObject({ code: 'not_found', reason: 'unknown_path' });
  });
});

describe('createDecisionLog', () => {
  const fields = { widgetKey: 'k', mode: 'enforce', decision: 'refused' as const, reason: 'token_expired', userId: 'ann' };

  it('logs one line per user and reason a minute, the next one saying how many were held back', () => {
    let now = 0;
    const logged: unknown[][] = [];
    const log = createDecisionLog({ info: () => undefined, warn: (...a) => logged.push(a), error: () => undefined }, { now: () => now });
    for (let i = 0; i < 1000; i++) log.log(fields, 'refused');
    log.log({ ...fields, reason: 'token_invalid' }, 'refused other');
    expect(logged).toHaveLength(2);
    now = 60_000;
    log.log(fields, 'refused');
    expect(logged).toHaveLength(3);
    expect(logged[2]![0]).toBe('refused (and 999 more like it since the last line)');
    expect(logged[2]![1]).toMatchObject({ held: 999 });
    expect(log.suppressed()).toBe(999);
  });
});
