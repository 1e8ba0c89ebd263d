import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from './fake-model-server.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());

const post = (body: object) =>
  fetch(`${fake.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
    body: JSON.stringify(body),
  });

const events = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.replace(/^data: /, ''));

describe('the fake model server (wire format)', () => {
  it('streams SSE chat.completion.chunks with choices[0].delta, a usage chunk when asked, then [DONE]', async () => {
    fake.script({ kind: 'reply', text: 'abcdef', chunks: 3 });
    const res = await post({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const data = events(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('abcdef');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 49 } });
  });

  it('streams a tool call as delta.tool_calls pieces: name first, then the arguments', async () => {
    fake.script({ kind: 'handoff', reason: 'r' });
    const res = await post({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const chunks = events(await res.text())
      .slice(0, -1)
      .map((d) => JSON.parse(d));
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0].function.name).toBe('handoff_to_human');
    expect(JSON.parse(calls.map((c: any) => c.function.arguments).join(''))).toEqual({ reason: 'r' });
    expect(chunks.at(-1).choices[0].finish_reason).toBe('tool_calls');
  });

  it('answers without stream as one chat.completion, and records the request with its headers', async () => {
    fake.requests.length = 0;
    const res = await post({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(await res.json()).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { content: 'Hello from the fake model.' } }],
    });
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: { model: 'm' } });
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer k');
  });

  it('answers a scripted status with Retry-After, and lists a model', async () => {
    fake.script({ kind: 'status', status: 429, retryAfter: '3' });
    const res = await post({ model: 'm', messages: [] });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect((await (await fetch(`${fake.url}/models`)).json()).data[0].id).toBe('fake-model');
  });
});
