// Size measurements shared by `npm run bench` and test/budgets/size.test.ts, so the
// budget the test enforces is the very number the bench prints.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

/** The repository (its node_modules) and the browser package, whose dist/ is measured. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ROOT = join(REPO, 'packages/halo-widget');

/**
 * The size budgets, in bytes (1 KB = 1000 bytes, as size-limit and bundlephobia count).
 * They hold for the production build, the one apps ship; the development build is
 * reported beside it, not budgeted (docs/decisions/0001-development-build.md).
 */
export const BUDGETS = Object.freeze({
  widgetGzip: 10_000,
  coreGzip: 5_000,
  snippetRaw: 600,
  /** What `halo-widget/react` adds to the core. */
  reactAddedGzip: 1_000,
});

/** Raw, gzip (level 9) and brotli (quality 11) byte counts of one file's contents. */
export function sizesOf(code) {
  const bytes = Buffer.isBuffer(code) ? code : Buffer.from(code);
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length,
  };
}

/** Throws a message that says what to do when dist/ has not been built. */
export function requireDist(
  root = ROOT,
  files = ['dist/halo.js', 'dist/halo.development.js', 'dist/index.mjs', 'dist/index.development.mjs', 'dist/snippet.js'],
) {
  const missing = files.filter((file) => !existsSync(join(root, file)));
  if (missing.length > 0) {
    throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first (npm test and npm run bench do).`);
  }
}

// A virtual entry, so the bundle holds exactly what an app importing `createHalo` ships.
function virtualEntry(id, code) {
  return {
    name: 'virtual-entry',
    resolveId: (source) => (source === id ? id : null),
    load: (loaded) => (loaded === id ? code : null),
  };
}

/**
 * Bundles `import { <names> } from <module>` the way an app's bundler would for browsers:
 * node-resolve (browser field), dependencies bundled, terser. Dynamic imports stay
 * separate chunks: the entry chunk is what every page pays, the others load on demand.
 */
export async function bundleImport(moduleId, names, { root = ROOT, external = [], alias = {} } = {}) {
  const id = '\0halo-bench-entry';
  const bundle = await rollup({
    input: id,
    onwarn: () => {},
    // An app's entry exports nothing, so the code its lazy chunks share with it stays in the
    // entry chunk; without this the re-exporting virtual entry would become a facade.
    preserveEntrySignatures: 'allow-extension',
    external,
    plugins: [
      virtualEntry(id, `export { ${names.join(', ')} } from ${JSON.stringify(moduleId)};`),
      { name: 'alias', resolveId: (source) => alias[source] ?? null },
      nodeResolve({ browser: true, rootDir: root }),
    ],
  });
  try {
    const { output } = await bundle.generate({
      format: 'es',
      plugins: [terser({ ecma: 2020, format: { comments: false } })],
    });
    const chunks = output.filter((file) => file.type === 'chunk');
    const entry = chunks.find((chunk) => chunk.isEntry);
    return {
      // staticImports: other chunks the entry needs before it runs; they would be start-up
      // cost the entry's size leaves out, so the budget test requires none.
      entry: { ...sizesOf(entry.code), modules: Object.keys(entry.modules).length, staticImports: entry.imports.length },
      chunks: chunks.filter((chunk) => !chunk.isEntry).map((chunk) => ({ name: chunk.name, ...sizesOf(chunk.code) })),
    };
  } finally {
    await bundle.close();
  }
}

/**
 * The three budgeted artefacts — the script-tag widget, the tree-shaken npm core, the
 * snippet — in the production build, and the widget and core of the development build.
 */
export async function measureSizes({ root = ROOT } = {}) {
  requireDist(root);
  const read = (file) => readFileSync(join(root, file));
  const core = await bundleImport(join(root, 'dist/index.mjs'), ['createHalo'], { root });
  const react = await measureReactBinding({ root, core: core.entry });
  const coreDev = await bundleImport(join(root, 'dist/index.development.mjs'), ['createHalo'], { root });
  return {
    widget: sizesOf(read('dist/halo.js')),
    widgetDev: sizesOf(read('dist/halo.development.js')),
    core: core.entry,
    coreDev: coreDev.entry,
    coreChunks: core.chunks,
    coreDevChunks: coreDev.chunks,
    snippet: sizesOf(read('dist/snippet.js')),
    react,
  };
}

/** Every export of `halo-widget/react`. */
export const REACT_EXPORTS = [
  'HaloProvider',
  'useHalo',
  'useIdentityState',
  'useHaloEvent',
  'useIsOpen',
  'useUnreadCount',
  'useHaloStatus',
];

/**
 * What `halo-widget/react` costs on top of the core: all its exports bundled like the core
 * (its `halo-widget` import resolved to dist/index.mjs, `react` left to the app), less the
 * core alone. `total` is that bundle's entry chunk.
 */
export async function measureReactBinding({ root = ROOT, core } = {}) {
  const alias = { 'halo-widget': join(root, 'dist/index.mjs') };
  const both = await bundleImport(join(root, 'dist/react.mjs'), REACT_EXPORTS, { root, external: ['react'], alias });
  const base = core ?? (await bundleImport(alias['halo-widget'], ['createHalo'], { root })).entry;
  return { total: both.entry, addedGzip: both.entry.gzip - base.gzip, addedBrotli: both.entry.brotli - base.brotli };
}

/**
 * What users would pick instead for the token layer alone: `@auth0/auth0-spa-js`, both its
 * shipped production ESM file and `createAuth0Client` bundled exactly like our core.
 */
export async function measureAuth0({ root = ROOT } = {}) {
  const pkgDir = join(root, 'node_modules/@auth0/auth0-spa-js');
  if (!existsSync(pkgDir)) return null;
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const bundled = await bundleImport('@auth0/auth0-spa-js', ['createAuth0Client'], { root });
  return {
    version: pkg.version,
    esmFile: { file: pkg.module, ...sizesOf(readFileSync(join(pkgDir, pkg.module))) },
    bundled: bundled.entry,
  };
}

/**
 * Where the core's bytes go (production build unless `mode` says otherwise): the core
 * rebuilt from src/ with one output file per module
 * (terser + gzip each), keeping only modules the entry reaches by static imports. Gzip of
 * a module alone over-counts against the whole bundle, but ranks the contributors.
 */
export async function coreBreakdown({ root = ROOT, mode = 'production' } = {}) {
  const { typescriptPlugin } = await import('../../scripts/typescript-plugin.mjs');
  const { nodeEnv } = await import('../../scripts/node-env-plugin.mjs');
  const id = '\0halo-bench-entry';
  const bundle = await rollup({
    input: id,
    onwarn: () => {},
    plugins: [
      virtualEntry(id, `export { createHalo } from ${JSON.stringify(join(root, 'src/index.ts'))};`),
      nodeResolve({ browser: true, rootDir: root }),
      nodeEnv(mode),
      typescriptPlugin({ root, noEmitOnError: false }),
    ],
  });
  try {
    const { output } = await bundle.generate({
      format: 'es',
      preserveModules: true,
      plugins: [terser({ ecma: 2020, format: { comments: false } })],
    });
    const byName = new Map(output.filter((file) => file.type === 'chunk').map((chunk) => [chunk.fileName, chunk]));
    const entry = [...byName.values()].find((chunk) => chunk.isEntry);
    const reached = new Set();
    // The virtual entry itself is one line of re-export, not the product's code.
    const visit = (chunk) => {
      if (!chunk || reached.has(chunk.fileName)) return;
      reached.add(chunk.fileName);
      for (const imported of chunk.imports) visit(byName.get(imported));
    };
    visit(entry);
    return [...reached]
      .filter((fileName) => fileName !== entry.fileName)
      .map((fileName) => {
        const module = byName.get(fileName).facadeModuleId ?? fileName;
        const label = module.includes('node_modules')
          ? module.slice(module.lastIndexOf('node_modules/') + 13)
          : module.replace(`${root}/`, '');
        return { module: label, ...sizesOf(byName.get(fileName).code) };
      })
      .sort((a, b) => b.gzip - a.gzip);
  } finally {
    await bundle.close();
  }
}
