// The embedded store's footprint: `serve --data <fresh dir>` as a real process — time to
// listen on first start (a fresh folder: the prebuilt image unpacked), peak RSS (VmHWM) and idle RSS 10 s later; then a
// second start on the same folder. `node bench/embedded-store-memory.mjs` (build first).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'packages/halo-widget-server/bin/halo-widget-server.mjs');

const status = (pid, field) =>
  Number(
    /(\d+) kB/.exec(
      readFileSync(`/proc/${pid}/status`, 'utf8')
        .split('\n')
        .find((l) => l.startsWith(field)) ?? '',
    )?.[1] ?? 0,
  ) / 1024;

async function run(dir) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--config', join(dir, 'halo.config.json'), '--port', '0', '--data', join(dir, 'data'), '--log-format', 'pretty'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const url = await new Promise((ok, fail) => {
    const t = setInterval(() => {
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (!m) return;
      clearInterval(t);
      ok(m[1]);
    }, 20);
    child.once('exit', () => {
      clearInterval(t);
      fail(new Error(output));
    });
  });
  const startMs = performance.now() - started;
  await fetch(`${url}/api/sdk/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ widget_key: 'ab_test_bench', visitor_id: 'v1', message: 'hi' }),
  });
  await new Promise((r) => setTimeout(r, 10_000));
  const idle = status(child.pid, 'VmRSS:');
  const peak = status(child.pid, 'VmHWM:');
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { startSeconds: startMs / 1000, peakMB: peak, idleMB: idle };
}

/** A first start on a fresh folder, then a second start on it: seconds to listen, peak and idle RSS (MB). */
export async function measureEmbeddedFootprint() {
  const dir = mkdtempSync(join(tmpdir(), 'halo-bench-mem-'));
  writeFileSync(join(dir, 'halo.config.json'), JSON.stringify({ projects: [{ widgetKey: 'ab_test_bench' }] }));
  try {
    return { first: await run(dir), second: await run(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const footprint = await measureEmbeddedFootprint();
  for (const [label, r] of [
    ['first start (fresh folder)', footprint.first],
    ['second start', footprint.second],
  ])
    console.log(
      `${label}: listening after ${r.startSeconds.toFixed(1)} s; peak RSS ${r.peakMB.toFixed(0)} MB; idle RSS (10 s after one chat) ${r.idleMB.toFixed(0)} MB`,
    );
}
