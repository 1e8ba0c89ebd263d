import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request the fake model server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined for a GET or a body that is not JSON). */
  body: any;
  /** The body as received. */
  raw: string;
  /** When it arrived (Date.now()). */
  at: number;
}

/** Token counts the fake reports. */
export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What the fake does with one `POST /v1/chat/completions`. */
export type FakeBehaviour =
  /**
   * A reply split into `chunks` pieces (default 3), `delayMs` apart (default 0); with `stallAfterChunks`,
   * that many pieces and then nothing until the client gives up.
   */
  | { kind: 'reply'; text: string; chunks?: number; delayMs?: number; usage?: FakeUsage; finishReason?: string; stallAfterChunks?: number }
  /** A `handoff_to_human` tool call, streamed as `delta.tool_calls` pieces the way OpenAI does, after optional text. */
  | { kind: 'handoff'; reason?: string; text?: string }
  /** An HTTP error in OpenAI's error shape. */
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  /** Headers sent (for a stream), then nothing until the client gives up, or for `ms`, then the reply. */
  | { kind: 'stall'; ms?: number; then?: FakeBehaviour }
  /** `afterChunks` pieces of `text` (split into `chunks`), then the socket is destroyed. */
  | { kind: 'cut'; text: string; chunks?: number; afterChunks: number; delayMs?: number };

/** A behaviour, or a function choosing one from the request. */
export type FakeScript = FakeBehaviour | ((request: RecordedRequest) => FakeBehaviour);

/** A running fake. */
export interface FakeModelServer {
  /** The base URL, `http://127.0.0.1:PORT/v1`. */
  url: string;
  /** Every request, in order of arrival. */
  requests: RecordedRequest[];
  /** The chat-completions requests only. */
  completions(): RecordedRequest[];
  /** Queues behaviours for the next chat-completions requests, one each. */
  script(...behaviours: FakeScript[]): void;
  /** What a request gets when the queue is empty. */
  setDefault(behaviour: FakeScript): void;
  close(): Promise<void>;
}

const DEFAULT_USAGE: FakeUsage = { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 };
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function split(text: string, pieces: number): string[] {
  const chars = [...text];
  const size = Math.max(1, Math.ceil(chars.length / Math.max(1, pieces)));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out.length ? out : [''];
}

let sequence = 0;

/**
 * Starts an OpenAI-compatible server on 127.0.0.1 (a free port) that speaks the real wire
 * format: `POST /v1/chat/completions` answered as one `chat.completion`, or with `stream: true`
 * as SSE `chat.completion.chunk`s (`choices[0].delta`), a last chunk with `usage` when
 * `stream_options.include_usage` is set, then `data: [DONE]`; and `GET /v1/models`.
 */
export async function startFakeModelServer(): Promise<FakeModelServer> {
  const requests: RecordedRequest[] = [];
  const queue: FakeScript[] = [];
  let fallback: FakeScript = { kind: 'reply', text: 'Hello from the fake model.' };
  const sockets = new Set<Socket>();

  async function stream(body: any, behaviour: FakeBehaviour, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = `chatcmpl-fake${++sequence}`;
    const created = Math.floor(Date.now() / 1000);
    const model = String(body.model);
    const chunk = (delta: object, finish: string | null = null): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    const finish = (usage: FakeUsage): void => {
      if (body.stream_options?.include_usage) {
        res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
    };
    const open = (): void => {
      if (res.headersSent) return;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.flushHeaders();
    };
    let gone = false;
    req.socket.once('close', () => (gone = true));

    switch (behaviour.kind) {
      case 'reply': {
        open();
        res.write(chunk({ role: 'assistant', content: '' }));
        for (const [index, piece] of split(behaviour.text, behaviour.chunks ?? 3).entries()) {
          if (index === behaviour.stallAfterChunks) {
            await new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
            return;
          }
          if (behaviour.delayMs) await wait(behaviour.delayMs);
          if (gone) return;
          res.write(chunk({ content: piece }));
        }
        res.write(chunk({}, behaviour.finishReason ?? 'stop'));
        finish(behaviour.usage ?? DEFAULT_USAGE);
        return;
      }
      case 'handoff': {
        open();
        res.write(chunk({ role: 'assistant', content: behaviour.text ?? null }));
        const args = JSON.stringify({ reason: behaviour.reason ?? 'The user asked for a person.' });
        res.write(
          chunk({
            tool_calls: [{ index: 0, id: `call_${sequence}`, type: 'function', function: { name: 'handoff_to_human', arguments: '' } }],
          }),
        );
        for (const piece of split(args, 3)) res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
        res.write(chunk({}, 'tool_calls'));
        finish(DEFAULT_USAGE);
        return;
      }
      case 'cut': {
        open();
        res.write(chunk({ role: 'assistant', content: '' }));
        const pieces = split(behaviour.text, behaviour.chunks ?? 4);
        for (const piece of pieces.slice(0, behaviour.afterChunks)) {
          if (behaviour.delayMs) await wait(behaviour.delayMs);
          // Handed to the kernel before the cut: destroy() drops writes still buffered here.
          await new Promise<void>((resolve) => res.write(chunk({ content: piece }), () => resolve()));
        }
        // Let the pieces reach the client before the connection dies, as a proxy cut would.
        await wait(50);
        req.socket.destroy();
        return;
      }
      default:
        throw new Error(`stream() does not handle ${behaviour.kind}`);
    }
  }

  function plain(body: any, behaviour: FakeBehaviour, res: ServerResponse): void {
    const message =
      behaviour.kind === 'handoff'
        ? {
            role: 'assistant',
            content: behaviour.text ?? null,
            tool_calls: [
              {
                id: `call_${sequence}`,
                type: 'function',
                function: { name: 'handoff_to_human', arguments: JSON.stringify({ reason: behaviour.reason ?? '' }) },
              },
            ],
          }
        : { role: 'assistant', content: behaviour.kind === 'reply' ? behaviour.text : '' };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-fake${++sequence}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: behaviour.kind === 'handoff' ? 'tool_calls' : 'stop' }],
        usage: behaviour.kind === 'reply' ? (behaviour.usage ?? DEFAULT_USAGE) : DEFAULT_USAGE,
      }),
    );
  }

  async function complete(recorded: RecordedRequest, behaviour: FakeBehaviour, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = recorded.body;
    if (behaviour.kind === 'status') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (behaviour.retryAfter !== undefined) headers['retry-after'] = behaviour.retryAfter;
      res.writeHead(behaviour.status, headers);
      res.end(
        JSON.stringify({
          error: { message: behaviour.message ?? `fake error ${behaviour.status}`, type: 'fake_error', param: null, code: null },
        }),
      );
      return;
    }
    if (behaviour.kind === 'stall') {
      if (body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.flushHeaders();
      }
      const closed = new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
      await Promise.race([closed, behaviour.ms === undefined ? closed : wait(behaviour.ms)]);
      if (req.socket.destroyed) return;
      return complete(recorded, behaviour.then ?? fallbackOf(recorded), req, res);
    }
    if (body.stream) return stream(body, behaviour, req, res);
    plain(body, behaviour, res);
  }

  const fallbackOf = (recorded: RecordedRequest): FakeBehaviour => (typeof fallback === 'function' ? fallback(recorded) : fallback);

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body: any;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch (_notJson) {
        // Recorded as is: a test may send something that is not JSON on purpose.
        body = undefined;
      }
      const path = (req.url ?? '/').split('?')[0]!;
      const recorded: RecordedRequest = { method: req.method ?? '', path, headers: req.headers, body, raw, at: Date.now() };
      requests.push(recorded);
      if (req.method === 'GET' && path === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'halo-tests' }] }));
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }));
        return;
      }
      if (!body || !Array.isArray(body.messages)) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { message: 'messages is required', type: 'invalid_request_error', param: 'messages', code: null } }),
        );
        return;
      }
      const next = queue.shift() ?? fallback;
      const behaviour = typeof next === 'function' ? next(recorded) : next;
      complete(recorded, behaviour, req, res).catch((error: unknown) => {
        // A bug in the fake must show in the test, not hang it.
        console.error('[fake-model-server]', error);
        req.socket.destroy();
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    completions: () => requests.filter((r) => r.path === '/v1/chat/completions'),
    script: (...behaviours) => queue.push(...behaviours),
    setDefault: (behaviour) => (fallback = behaviour),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
