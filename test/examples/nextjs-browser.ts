// The built examples/nextjs under `next start`, for the browser test in examples.test.ts: the
// Halo API it talks to (a real one, in this process) and the app's server on a loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../helpers/postgres-cluster.mjs';
import { serverModule } from '../e2e/browser.js';

export interface HaloApi {
  url: string;
  widgetKey: string;
  secret: string;
  close(): Promise<void>;
}

/** A Halo API with one project in enforce mode; its key and secret for the app's env. */
export async function startHaloApi(): Promise<HaloApi> {
  const server = await serverModule();
  const { widgetKey, identitySecret: secret } = server.generateProjectKeys();
  const api = await server.startHaloServer({
    projects: [{ widgetKey, identitySecrets: [secret], mode: 'enforce' }],
    store: server.createMemoryStore(),
    logger: { info() {}, warn() {}, error: console.error },
    rateLimit: false,
  });
  return { url: api.url, widgetKey, secret, close: () => api.close() };
}

export interface NextServer {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** `next start` on a free 127.0.0.1 port, up once `/` answers 200. */
export async function startNext(app: string, env: Record<string, string>): Promise<NextServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(app, 'node_modules/next/dist/bin/next'), 'start', '-H', '127.0.0.1', '-p', String(port)],
    { cwd: app, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; ; waited += 250) {
    const status = await fetch(url)
      .then((r) => r.status)
      .catch(() => 0);
    if (status === 200) break;
    if (waited > 60_000 || child.exitCode !== null) {
      await stop();
      throw new Error(`next start did not answer 200 in 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, output: () => output, stop };
}
