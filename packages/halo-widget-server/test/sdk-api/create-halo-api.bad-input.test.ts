// request-limits and the wire protocol's errors: malformed input gets a clear 4xx, never a 5xx, and the server keeps serving.
import { describe, expect, it } from 'vitest';
import { prng } from '../../../../test/helpers/prng.mjs';
import { useHaloServer } from '../../../../test/helpers/server.js';

const KEY = 'ab_test_badinput0';
const api = useHaloServer(() => ({ projects: [{ widgetKey: KEY }] }));
const visitor = { widget_key: KEY, visitor_id: 'v-1' };

const expectError = (answer: { status: number; body: any }, status: number, code: string, reason?: string) => {
  expect(answer.status).toBe(status);
  // A path outside /api/sdk/ carries reason unknown_path (the development SDK names apiBase's prefix).
  const unknownPath = answer.body?.error?.reason === 'unknown_path' && status === 404 ? { reason: 'unknown_path' } : {};
  expect(answer.body).toEqual({ error: { code, message: expect.any(String), ...unknownPath, ...(reason ? { reason } : {}) } });
  expect(JSON.stringify(answer.body)).not.toMatch(/\bat .*\.(js|ts):\d+/); // no stack trace
};

describe('bad input', () => {
  it('invalid JSON is 400 invalid_request', async () => {
    expectError(await api.post('chat', '{"widget_key": '), 400, 'invalid_request');
  });

  it('a JSON body that is not an object is 400', async () => {
    for (const body of ['[]', '"x"', '42', 'null']) expectError(await api.post('chat', body), 400, 'invalid_request');
  });

  it('a missing or non-JSON Content-Type is 415', async () => {
    expectError(
      await api.raw('/api/sdk/chat', { method: 'POST', body: JSON.stringify({ ...visitor, message: 'x' }) }),
      415,
      'unsupported_media_type',
    );
    expectError(await api.post('chat', { ...visitor, message: 'x' }, { 'Content-Type': 'text/plain' }), 415, 'unsupported_media_type');
  });

  it('a charset parameter on application/json is fine', async () => {
    const answer = await api.post('chat', { ...visitor, message: 'x' }, { 'Content-Type': 'application/json; charset=utf-8' });
    expect(answer.status).toBe(200);
  });

  it('a body over 64 KiB is 413 payload_too_large', async () => {
    expectError(await api.post('chat', { ...visitor, message: 'x', pad: 'y'.repeat(70_000) }), 413, 'payload_too_large');
  });

  it('a body over 64 KiB sent without Content-Length (chunked) is 413, and the server keeps serving', async () => {
    const chunk = new TextEncoder().encode(`{"widget_key":"${KEY}","visitor_id":"v","message":"${'z'.repeat(16 * 1024)}`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const answer = await api.raw('/api/sdk/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expectError(answer, 413, 'payload_too_large');
    expect((await api.post('chat', { ...visitor, message: 'after the flood' })).status).toBe(200);
  });

  it('a missing widget_key is 400 and an unknown one 401 invalid_widget_key', async () => {
    expectError(await api.post('chat', { visitor_id: 'v', message: 'x' }), 400, 'invalid_request');
    expectError(await api.post('chat', { widget_key: 'ab_test_nosuchkey', visitor_id: 'v', message: 'x' }), 401, 'invalid_widget_key');
  });

  it('neither user_id nor visitor_id is 400', async () => {
    expectError(await api.post('chat', { widget_key: KEY, message: 'x' }), 400, 'invalid_request');
  });

  it.each([
    ['an empty message', ''],
    ['a message of 4001 characters', 'x'.repeat(4001)],
    ['a message that is not a string', 42],
  ])('%s is 400 naming the field', async (_name, message) => {
    const answer = await api.post('chat', { ...visitor, message });
    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.message).toContain('message');
  });

  it('4000 astral characters are 4000 characters (code points)', async () => {
    expect((await api.post('chat', { ...visitor, message: '😀'.repeat(4000) })).status).toBe(200);
  });

  it('4001 astral characters are 400, counted in code points', async () => {
    const answer = await api.post('chat', { ...visitor, message: '😀'.repeat(4001) });
    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.message).toContain('got 4001');
  });

  it('a lone surrogate is 400: no store can keep it (storable-text)', async () => {
    expectError(await api.post('chat', { ...visitor, message: '\ud83d' }), 400, 'invalid_request');
  });

  it('more than 50 user_traits is 400', async () => {
    const traits = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    expectError(await api.post('identify', { ...visitor, user_traits: traits }), 400, 'invalid_request');
  });

  it('a wrong method is 405 with Allow, an unknown path 404', async () => {
    const get = await api.raw('/api/sdk/chat', { method: 'GET' });
    expectError(get, 405, 'method_not_allowed');
    expect(get.headers.get('Allow')).toContain('POST');
    expectError(await api.post('delete-everything', visitor), 404, 'not_found');
    expectError(await api.raw('/api/sdk/delete-everything', { method: 'GET' }), 404, 'not_found');
    expectError(await api.raw('/nope', { method: 'GET' }), 404, 'not_found', 'unknown_path');
    expectError(await api.post('', visitor), 404, 'not_found');
    expectError(await api.post('chat/', visitor), 404, 'not_found');
    expectError(await api.post('chat/extra', visitor), 404, 'not_found');
  });

  it('a query string is ignored, wherever the path is matched', async () => {
    expect((await api.post('chat?v=1', { ...visitor, message: 'x' })).status).toBe(200);
    expect((await api.post('history?', visitor)).status).toBe(200);
    expectError(await api.post('nope?chat', visitor), 404, 'not_found');
    expectError(await api.raw('/api/sdk/chat?x', { method: 'GET' }), 405, 'method_not_allowed');
  });

  it('wrongly typed fields are 400 naming the field', async () => {
    for (const [field, value] of [
      ['user_id', 5],
      ['visitor_id', {}],
      ['conversation_id', []],
      ['client_message_id', true],
      ['user_traits', 'x'],
    ] as const) {
      const answer = await api.post('chat', { ...visitor, message: 'x', [field]: value });
      expectError(answer, 400, 'invalid_request');
      expect(answer.body.error.message).toContain(field);
    }
  });

  it("a visitor's user_token of any type is ignored", async () => {
    for (const token of [7, {}, true, 'garbage'])
      expect((await api.post('chat', { ...visitor, message: 'x', user_token: token })).status).toBe(200);
  });

  it('hundreds of random malformed bodies never get a 5xx, and the server keeps serving', async () => {
    const random = prng(7);
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
    const values = () =>
      pick<unknown>([null, true, 0, -1, 1e308, '', 'x', '😀'.repeat(3), [], {}, [1, 'a'], { a: { b: [] } }, 'ha_secret_x', KEY, 'a.b.c']);
    const fields = [
      'widget_key',
      'user_id',
      'visitor_id',
      'user_token',
      'message',
      'conversation_id',
      'client_message_id',
      'user_traits',
      '__proto__',
      'constructor',
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const body: Record<string, unknown> = {};
      for (const field of fields) if (random() < 0.5) body[field] = random() < 0.3 ? (field === 'widget_key' ? KEY : 'ok') : values();
      let raw = JSON.stringify(body);
      if (random() < 0.15) raw = raw.slice(0, Math.floor(random() * raw.length)); // truncated JSON
      const answer = await api.post(pick(['chat', 'identify', 'history']), raw);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      expect(answer.status, raw).toBeLessThan(500);
    }
    expect([...statuses.keys()].every((s) => [200, 400, 401, 403, 404].includes(s))).toBe(true);
    expect((await api.post('chat', { ...visitor, message: 'still here?' })).status).toBe(200);
  });
});
