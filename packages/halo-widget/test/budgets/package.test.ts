// The published package as users get it: `npm pack` once, then publint (package.json and
// the files it points at) and arethetypeswrong (each entry's types, per module resolution).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, requireDist, ROOT } from '../../../../test/helpers/sizes.mjs';

const ATTW = join(REPO, 'node_modules/@arethetypeswrong/cli/dist/index.js');
/** The importable entries attw checks: the dual ESM + CJS ones and the script-tag files. */
const DUAL_ENTRIES = ['.', './server', './react', './protocol'];
const SCRIPT_ENTRIES = ['./halo.js', './halo.development.js', './snippet.js'];

describe('the packed package', () => {
  let dir: string;
  let tarball: string;

  beforeAll(() => {
    requireDist(ROOT, ['dist/index.mjs', 'dist/index.cjs', 'dist/index.d.ts', 'dist/server/index.mjs', 'dist/react.mjs']);
    dir = mkdtempSync(join(tmpdir(), 'halo-pack-'));
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
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

  const attw = (entry: string, profile?: string) =>
    spawnSync(
      process.execPath,
      [ATTW, tarball, '--entrypoints', entry, ...(profile ? ['--profile', profile] : []), '--format', 'ascii', '--no-color'],
      {
        encoding: 'utf8',
      },
    );

  // `.`, `./server`, `./react` and `./protocol` are dual ESM + CJS: every resolution mode must
  // find its own types (node10 through `main`/`types`, and `typesVersions` for the subpaths).
  it.each(DUAL_ENTRIES)('has correct types for `%s` under node10, node16 (CJS and ESM) and bundlers', (entry) => {
    const run = attw(entry);
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  // The script-tag files are browser scripts that define the `Halo` global; their types are
  // for `import type {} from 'halo-widget/halo.js'` in ESM and bundler projects. Nothing
  // `require()`s a browser script, so attw's esm-only profile.
  it.each(SCRIPT_ENTRIES)('has types for `%s` (the Halo global) under node16 ESM and bundlers', (entry) => {
    const run = attw(entry, 'esm-only');
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  it('checks every importable entry of the manifest with attw', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const entries = Object.keys(manifest.exports).filter((entry) => entry !== './package.json');
    expect(entries.sort()).toEqual([...DUAL_ENTRIES, ...SCRIPT_ENTRIES].sort());
  });

  it('ships the LICENSE and no declaration of the script-tag entry’s module (dist/iife.d.ts)', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/LICENSE');
    expect(files.filter((file) => /iife/.test(file))).toEqual([]);
  });

  it('lists the files with side effects (the script-tag bundles and the snippet), and only those', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { sideEffects: string[] };
    expect(manifest.sideEffects).toEqual(['./dist/halo.js', './dist/halo.development.js', './dist/snippet.js']);
  });
});

describe('the browser entries, production and development', () => {
  const browserFiles = (): string[] => {
    const entries = ['index.mjs', 'index.cjs', 'index.development.mjs', 'index.development.cjs', 'halo.js', 'halo.development.js'].map(
      (f) => `dist/${f}`,
    );
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
      expect(
        imported.filter((id) => !id!.startsWith('./') && !id!.startsWith('../')),
        file,
      ).toEqual([]);
      expect(code, file).not.toContain('process.env');
      expect(code, file).not.toMatch(/SignJWT|createHmac|halo-widget\/server|ha_secret_[A-Za-z0-9_-]{8}/);
    }
  });

  // The core by its package name: the app's bundler resolves it to the same file as the
  // app's own `import 'halo-widget'` (one copy, under either export condition).
  it('the React entry imports only react and halo-widget, never a copy of the core or the widget chunk', () => {
    requireDist(ROOT, ['dist/react.mjs', 'dist/react.cjs']);
    for (const file of ['dist/react.mjs', 'dist/react.cjs']) {
      const code = readFileSync(join(ROOT, file), 'utf8');
      const imported = [...code.matchAll(/(?:from\s*|import\s*|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      expect(imported, file).toEqual(['react', 'halo-widget']);
      // A client module for React Server Components (the Next.js app router).
      expect(code.startsWith("'use client';"), file).toBe(true);
    }
  });
});
