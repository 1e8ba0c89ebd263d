import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveAiConfig, type AiConfig } from '../../src/ai/ai-config.js';
import { isAiError, type AiError } from '../../src/ai/ai-error.js';
import { createCircuitBreaker } from '../../src/ai/circuit-breaker.js';
import { createModelClient, type ModelClientOptions } from '../../src/ai/model-client.js';
import { startFakeModelServer, type FakeModelServer } from './fake-model-server.js';

const KEY = 'sk-test-4f9c2a7e1b3d5f60a8c9e7d2b1f4a6c3';
const MESSAGES = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'Where is my invoice?' },
];

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
afterEach(() => {
  fake.requests.length = 0;
  fake.setDefault({ kind: 'reply', text: 'Hello from the fake model.' });
});

function client(config: Partial<AiConfig> = {}, options: Partial<ModelClientOptions> = {}) {
  return createModelClient({
    config: resolveAiConfig({ baseUrl: fake.url, model: 'fake-model', apiKeyEnv: 'HALO_AI_API_KEY', instructions: 'Be kind.', ...config }),
    apiKey: KEY,
    random: () => 0,
    logger: { warn: () => undefined },
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<AiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  if (!isAiError(error)) throw error;
  return error;
}

describe('createModelClient().streamReply', () => {
  it('streams through the openai package: each delta is the text so far, and the usage of the last chunk is returned', async () => {
    fake.script({
      kind: 'reply',
      text: 'Your invoice is in Billing.',
      chunks: 4,
      usage: { prompt_tokens: 30, completion_tokens: 6, total_tokens: 36 },
    });
    const deltas: string[] = [];
    const reply = await client().streamReply({ messages: MESSAGES, onDelta: (text) => deltas.push(text) });
    expect(reply.text).toBe('Your invoice is in Billing.');
    expect(deltas.length).toBe(4);
    expect(deltas.at(-1)).toBe(reply.text);
    expect(deltas.every((d, i) => i === 0 || d.startsWith(deltas[i - 1]!))).toBe(true);
    expect(reply.usage).toEqual({ promptTokens: 30, completionTokens: 6, totalTokens: 36 });
    expect(reply).toMatchObject({ handoff: null, finishReason: 'stop', attempts: 1 });
  });

  it('sends the model, the messages, stream with usage, max_tokens, the handoff tool, and the key as a bearer token', async () => {
    await client({ maxTokens: 123 }).streamReply({ messages: MESSAGES });
    const [request] = fake.completions();
    expect(request!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request!.body).toMatchObject({
      model: 'fake-model',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 123,
      tool_choice: 'auto',
    });
    expect(request!.body.tools.map((t: any) => t.function.name)).toEqual(['handoff_to_human']);
  });

  it('offers no tools when handoffTool is false (for servers that refuse them)', async () => {
    await client({ handoffTool: false }).streamReply({ messages: MESSAGES });
    expect(fake.completions()[0]!.body).not.toHaveProperty('tools');
    expect(fake.completions()[0]!.body).not.toHaveProperty('tool_choice');
  });

  it('sends no OpenAI-Organization or OpenAI-Project header taken from OPENAI_* variables of the process', async () => {
    vi.stubEnv('OPENAI_ORG_ID', 'org-of-someone-else');
    vi.stubEnv('OPENAI_PROJECT_ID', 'proj-of-someone-else');
    try {
      await client().streamReply({ messages: MESSAGES });
    } finally {
      vi.unstubAllEnvs();
    }
    expect(fake.completions()[0]!.headers).not.toHaveProperty('openai-organization');
    expect(fake.completions()[0]!.headers).not.toHaveProperty('openai-project');
  });

  it('reports a handoff_to_human tool call streamed in pieces, with its reason', async () => {
    fake.script({ kind: 'handoff', reason: 'wants a refund' });
    const reply = await client().streamReply({ messages: MESSAGES });
    expect(reply.handoff).toEqual({ reason: 'wants a refund' });
    expect(reply.finishReason).toBe('tool_calls');
  });

  it('retries a 500 and returns the next answer', async () => {
    fake.script({ kind: 'status', status: 500 }, { kind: 'reply', text: 'Second time lucky.' });
    const reply = await client().streamReply({ messages: MESSAGES });
    expect(reply.text).toBe('Second time lucky.');
    expect(reply.attempts).toBe(2);
    expect(fake.completions()).toHaveLength(2);
  });

  it('gives up after its retries with model_error and the status', async () => {
    fake.setDefault({ kind: 'status', status: 503 });
    const error = await failure(client({}, { retries: 2 }).streamReply({ messages: MESSAGES }));
    expect(error.code).toBe('model_error');
    expect(error.status).toBe(503);
    expect(fake.completions()).toHaveLength(3);
  });

  it("waits a 429's Retry-After before the retry", async () => {
    fake.script({ kind: 'status', status: 429, retryAfter: '1' }, { kind: 'reply', text: 'ok' });
    const started = Date.now();
    const reply = await client().streamReply({ messages: MESSAGES });
    expect(reply.text).toBe('ok');
    const [first, second] = fake.completions();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('does not retry a 429 whose Retry-After ends past the first-token budget', async () => {
    fake.script({ kind: 'status', status: 429, retryAfter: '120' });
    const error = await failure(client({ timeoutMs: 2_000 }).streamReply({ messages: MESSAGES }));
    expect(error.code).toBe('rate_limited');
    expect(fake.completions()).toHaveLength(1);
  });

  it('does not retry a 400: model_refused after one call', async () => {
    fake.setDefault({ kind: 'status', status: 400, message: 'context too long' });
    const error = await failure(client().streamReply({ messages: MESSAGES }));
    expect(error.code).toBe('model_refused');
    expect(error.status).toBe(400);
    expect(error.message).toContain('context too long');
    expect(fake.completions()).toHaveLength(1);
  });

  it('times out with model_timeout when no first token comes within timeoutMs, without waiting for the stall', async () => {
    fake.setDefault({ kind: 'stall' });
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 300 }).streamReply({ messages: MESSAGES }));
    expect(error.code).toBe('model_timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('retries a stalled attempt when attemptTimeoutMs leaves time in the budget', async () => {
    fake.script({ kind: 'stall' }, { kind: 'reply', text: 'Back again.' });
    const reply = await client({ timeoutMs: 3_000 }, { attemptTimeoutMs: 200 }).streamReply({ messages: MESSAGES });
    expect(reply.text).toBe('Back again.');
    expect(fake.completions()).toHaveLength(2);
  });

  it('reports a stream cut after text reached the caller as stream_cut, partial, and never calls again', async () => {
    fake.setDefault({ kind: 'cut', text: 'One two three four five six', chunks: 6, afterChunks: 2 });
    const deltas: string[] = [];
    const error = await failure(client().streamReply({ messages: MESSAGES, onDelta: (text) => deltas.push(text) }));
    expect(error.code).toBe('stream_cut');
    expect(error.partial).toBe(true);
    expect(deltas.length).toBe(2);
    expect(fake.completions()).toHaveLength(1);
  });

  it('retries a stream cut before any text', async () => {
    fake.script({ kind: 'cut', text: 'never seen', afterChunks: 0 }, { kind: 'reply', text: 'Whole reply.' });
    const reply = await client().streamReply({ messages: MESSAGES });
    expect(reply.text).toBe('Whole reply.');
    expect(fake.completions()).toHaveLength(2);
  });

  it('reports a stall in the middle of a reply as stream_cut after timeoutMs', async () => {
    fake.setDefault({ kind: 'reply', text: 'one two three', chunks: 3, stallAfterChunks: 1 });
    const deltas: string[] = [];
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 300 }).streamReply({ messages: MESSAGES, onDelta: (t) => deltas.push(t) }));
    expect(deltas).toHaveLength(1);
    expect(error.code).toBe('stream_cut');
    expect(error.partial).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(fake.completions()).toHaveLength(1);
  });

  it('rests after failures in a row: circuit_open without a call, then one trial after the cool-down', async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const breaker = createCircuitBreaker({ failureThreshold: 2, cooldownMs: 10_000, now });
    const model = client({}, { retries: 0, breaker, now });
    fake.setDefault({ kind: 'status', status: 500 });
    await failure(model.streamReply({ messages: MESSAGES }));
    await failure(model.streamReply({ messages: MESSAGES }));
    expect((await failure(model.streamReply({ messages: MESSAGES }))).code).toBe('circuit_open');
    expect(fake.completions()).toHaveLength(2);
    clock += 10_000;
    fake.setDefault({ kind: 'reply', text: 'Recovered.' });
    expect((await model.streamReply({ messages: MESSAGES })).text).toBe('Recovered.');
    expect(breaker.state()).toBe('closed');
  });

  it('makes at most callsPerMinute calls, then answers rate_limited without calling the model', async () => {
    const model = client({ callsPerMinute: 2 });
    await model.streamReply({ messages: MESSAGES });
    await model.streamReply({ messages: MESSAGES });
    const error = await failure(model.streamReply({ messages: MESSAGES }));
    expect(error.code).toBe('rate_limited');
    expect(error.status).toBeUndefined();
    expect(fake.completions()).toHaveLength(2);
  });

  it('counts retries against callsPerMinute', async () => {
    fake.setDefault({ kind: 'status', status: 500 });
    const error = await failure(client({ callsPerMinute: 2 }, { retries: 5 }).streamReply({ messages: MESSAGES }));
    expect(error.code).toBe('rate_limited');
    expect(fake.completions()).toHaveLength(2);
  });

  it('rejects with aborted when the caller cancels, and does not count it against the model', async () => {
    fake.setDefault({ kind: 'stall' });
    const breaker = createCircuitBreaker({ failureThreshold: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(client({}, { breaker }).streamReply({ messages: MESSAGES, signal: controller.signal }));
    expect(error.code).toBe('aborted');
    expect(breaker.state()).toBe('closed');
  });

  it('puts the key in no error message and no console line, even when the model quotes it back', async () => {
    const logged: unknown[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(...args)),
    );
    const errors: AiError[] = [];
    try {
      fake.script({ kind: 'status', status: 401, message: `Incorrect API key provided: ${KEY}. Bearer ${KEY}` });
      errors.push(await failure(client().streamReply({ messages: MESSAGES })));
      fake.script({ kind: 'status', status: 500, message: `upstream saw ${KEY}` }, { kind: 'status', status: 500, message: KEY });
      errors.push(await failure(client({}, { retries: 1 }).streamReply({ messages: MESSAGES })));
      fake.script({ kind: 'stall' });
      errors.push(await failure(client({ timeoutMs: 200 }).streamReply({ messages: MESSAGES })));
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
    expect(errors.map((e) => e.code)).toEqual(['model_refused', 'model_error', 'model_timeout']);
    for (const error of errors) {
      expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain(KEY);
      expect(error.message).not.toContain(KEY.slice(0, 12));
    }
    expect(JSON.stringify(logged.map(String))).not.toContain(KEY);
    expect(fake.completions().every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);
  });
});
