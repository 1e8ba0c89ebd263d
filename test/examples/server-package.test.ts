// halo-widget-server as users get it: `npm pack`, then publint (package.json and the files it
// points at) and arethetypeswrong on its one importable entry. The service is ESM-only by
// design (docs/decisions/0860): Node ≥ 20.19 — its engines floor — loads it with import and
// with require(esm), so attw checks it under its esm-only profile.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDist } from '../helpers/sizes.mjs';
import { pack, remove, REPO } from './example-app.js';

const ATTW = join(REPO, 'node_modules/@arethetypeswrong/cli/dist/index.js');
const PACKAGE = join(REPO, 'packages/halo-widget-server');

describe('the packed halo-widget-server', () => {
  let dir: string;
  let tarball: string;

  beforeAll(() => {
    requireDist(PACKAGE, ['dist/index.mjs', 'dist/index.d.ts', 'dist/cli.mjs']);
    dir = mkdtempSync(join(tmpdir(), 'halo-server-pack-'));
    tarball = pack('packages/halo-widget-server', dir);
  }, 60_000);

  afterAll(() => remove(dir));

  it('passes publint in strict mode, suggestions included', async () => {
    const data = readFileSync(tarball);
    const { messages, pkg } = await publint({
      // Inside a tarball, npm puts the package under `package/`.
      pkgDir: 'package',
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer },
      level: 'suggestion',
      strict: true,
    });
    expect(messages.map((message) => `${message.type}: ${formatMessage(message, pkg) ?? message.code}`)).toEqual([]);
  });

  it('has correct types for `.` under node16 ESM and bundlers (ESM-only)', () => {
    const run = spawnSync(process.execPath, [ATTW, tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-color'], {
      encoding: 'utf8',
    });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('"halo-widget-server"');
  });

  it('has `.` as its one importable entry, the one attw checks', () => {
    const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(manifest.exports).filter((entry) => entry !== './package.json')).toEqual(['.']);
  });

  it('ships its CLI, the admin page and the LICENSE, and no tests or sources', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files).toEqual(expect.arrayContaining(['package/LICENSE', 'package/bin/halo-widget-server.mjs', 'package/dist/cli.mjs']));
    expect(files.filter((file) => /^package\/(src|test)\//.test(file) || file.endsWith('.ts.map'))).toEqual([]);
  });
});
