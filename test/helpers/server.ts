// A real Halo API on 127.0.0.1 for server tests, with a small client for its wire protocol.
import { afterAll, beforeAll } from 'vitest';
import { startHaloServer, type HaloServer, type StartHaloServerOptions } from '../../packages/halo-widget-server/src/index.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export interface TestApi {
  url: string;
  post(call: string, body: unknown, headers?: Record<string, string>): Promise<Answer>;
  raw(path: string, init: RequestInit): Promise<Answer>;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (error) {
    void error; // not JSON (a script, a 204): keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

/** Starts a server for the test file (beforeAll) and stops it (afterAll). */
export function useHaloServer(config: () => StartHaloServerOptions): TestApi {
  let server: HaloServer;
  const api: TestApi = {
    url: '',
    raw: async (path, init) => answer(await fetch(`${server.url}${path}`, init)),
    post: (call, body, headers = {}) =>
      api.raw(`/api/sdk/${call}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
  };
  beforeAll(async () => {
    // The wire-protocol tests send hundreds of requests from one address: the rate limit (on by
    // default) is off unless a test's config sets it; test/security checks the defaults.
    server = await startHaloServer({ logger: silentLogger(), rateLimit: false, ...config() });
    api.url = server.url;
  });
  afterAll(async () => {
    await server?.close();
  });
  return api;
}

/** A logger that records what it is given. */
export function silentLogger() {
  const lines: unknown[][] = [];
  return {
    lines,
    info: (...args: unknown[]) => void lines.push(args),
    warn: (...args: unknown[]) => void lines.push(args),
    error: (...args: unknown[]) => void lines.push(args),
  };
}
