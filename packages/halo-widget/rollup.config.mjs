// The builds of the browser package: the npm entry in a production and a development flavour
// (ESM and CJS each; see docs/decisions/0001-development-build.md), its React and Vue bindings, the
// shared protocol module, the Node-only token helpers `halo-widget/server` (ESM, and CJS for
// `require`, needing only Node built-ins, since Jest cannot require ESM-only packages), the minified
// script-tag IIFE (production, and a development copy for debugging), and the tiny snippet.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { nodeEnv } from '../../scripts/node-env-plugin.mjs';
import { typescriptPlugin as ts } from '../../scripts/typescript-plugin.mjs';

const external = (id) => id === 'jose' || id.startsWith('jose/') || id.startsWith('node:');

/** The npm entry for one mode: `suffix` tells the files of the development build apart. */
const npmEntry = (mode, suffix) => ({
  input: { [`index${suffix}`]: 'src/index.ts' },
  external,
  plugins: [nodeEnv(mode), ts()],
  output: [
    { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: `chunks/[name]${suffix}-[hash].mjs` },
    { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: `chunks/[name]${suffix}-[hash].cjs`, exports: 'named' },
  ],
});

/** The script-tag build for one mode. */
const scriptTag = (mode, file) => ({
  input: 'src/iife.ts',
  plugins: [nodeEnv(mode), nodeResolve({ browser: true }), ts(), terser({ ecma: 2020, format: { comments: false } })],
  output: { file, format: 'iife', inlineDynamicImports: true },
});

/**
 * The React and Vue bindings import the core as `halo-widget` (the package itself), not as a copy or
 * a shared chunk: the app's bundler then resolves both to the same core file, whichever
 * export condition (development or production) it picks.
 */
const coreAsPackage = {
  name: 'core-as-package',
  resolveId: (source, importer) =>
    /\/src\/(react|vue)\//.test(importer ?? '') && source === '../index.js' ? { id: 'halo-widget', external: true } : null,
};

export default [
  npmEntry('production', ''),
  npmEntry('development', '.development'),
  {
    input: { react: 'src/react/index.ts' },
    external: (id) => id === 'react',
    plugins: [coreAsPackage, ts()],
    // A client module for React Server Components (Next.js app router): a server component
    // can render <HaloProvider> directly; its hooks never run on the server.
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', banner: "'use client';" },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', exports: 'named', banner: "'use client';" },
    ],
  },
  {
    input: { vue: 'src/vue/index.ts' },
    external: (id) => id === 'vue',
    plugins: [coreAsPackage, ts()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].mjs' },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', exports: 'named' },
    ],
  },
  {
    input: { protocol: 'src/protocol.ts' },
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].mjs' },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', exports: 'named' },
    ],
  },
  {
    input: { index: 'src/server/index.ts', cli: 'src/server/cli.ts' },
    external,
    plugins: [ts()],
    output: { dir: 'dist/server', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs' },
  },
  {
    // `require('halo-widget/server')` from CommonJS: anything but Node built-ins would be bundled
    // in, because Jest (and any loader without require(esm)) cannot `require` an ESM-only
    // package. Today it imports nothing else: signing uses node:crypto (decisions/0862).
    input: { index: 'src/server/index.ts' },
    external: (id) => id.startsWith('node:'),
    plugins: [nodeResolve({ exportConditions: ['node'] }), ts()],
    output: { dir: 'dist/server', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs', exports: 'named' },
  },
  scriptTag('production', 'dist/halo.js'),
  scriptTag('development', 'dist/halo.development.js'),
  {
    input: 'src/snippet.js',
    plugins: [terser({ ecma: 2015, compress: { passes: 2 }, format: { comments: false } })],
    output: { file: 'dist/snippet.js', format: 'es' },
  },
];
