// The published package as users get it: `npm pack` once, then publint (package.json and
// the files it points at) and arethetypeswrong (each entry's types, per module resolution).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDist, ROOT } from '../../bench/sizes.mjs';

const ATTW = join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js');

describe('the packed package', () => {
  let dir: string;
  let tarball: string;

  beforeAll(() => {
    requireDist(ROOT, ['dist/index.mjs', 'dist/index.cjs', 'dist/index.d.ts', 'dist/server/index.mjs']);
    dir = mkdtempSync(join(tmpdir(), 'halo-pack-'));
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    ) as Array<{ filename: string }>;
    tarball = join(dir, packed[0]!.filename);
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

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

  // `.` is dual ESM + CJS: every resolution mode must find its own types.
  it('has correct types for `halo-widget` under node10, node16 (CJS and ESM) and bundlers', () => {
    const run = spawnSync(process.execPath, [ATTW, tarball, '--entrypoints', '.', '--format', 'ascii', '--no-color'], { encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  // `./server` is ESM-only by design (Node ≥ 20.19, ESM + .d.ts), so node10 and
  // require() from CJS are out of scope: attw's esm-only profile.
  it('has correct types for `halo-widget/server` as an ESM-only entry', () => {
    const run = spawnSync(process.execPath, [ATTW, tarball, '--entrypoints', './server', '--profile', 'esm-only', '--format', 'ascii', '--no-color'], {
      encoding: 'utf8',
    });
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });
});

describe('the browser entries, production and development', () => {
  const browserFiles = (): string[] => {
    const entries = ['index.mjs', 'index.cjs', 'index.development.mjs', 'index.development.cjs', 'halo.js', 'halo.development.js'].map((f) => `dist/${f}`);
    requireDist(ROOT, entries);
    const chunks = readdirSync(join(ROOT, 'dist/chunks')).map((file) => `dist/chunks/${file}`);
    return [...entries, ...chunks];
  };

  // The browser decodes a token's claims with its own atob: jose is ESM-only, so a CJS
  // browser entry that required it would fail to load.
  it('import nothing outside the package (no jose at all), never signing code or the server entry', () => {
    for (const file of browserFiles()) {
      const code = readFileSync(join(ROOT, file), 'utf8');
      const imported = [...code.matchAll(/(?:from\s*|import\s*|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
      expect(imported.filter((id) => !id!.startsWith('./') && !id!.startsWith('../')), file).toEqual([]);
      expect(code, file).not.toContain('process.env');
      expect(code, file).not.toMatch(/SignJWT|createHmac|halo-widget\/server|ha_secret_[A-Za-z0-9_-]{8}/);
    }
  });
});
