// The builds: the npm entry in a production and a development flavour (ESM and CJS each;
// see docs/decisions/0001-development-build.md), the Node-only server entry, the minified
// script-tag IIFE (production, and a development copy for debugging), and the tiny snippet.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { nodeEnv } from './scripts/node-env-plugin.mjs';
import { typescriptPlugin as ts } from './scripts/typescript-plugin.mjs';

// pg and PGlite stay imports of the server build, loaded only when a database store is used.
const external = (id) => id === 'jose' || id.startsWith('jose/') || id.startsWith('node:') || id === 'pg' || id.startsWith('@electric-sql/pglite');

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

export default [
  npmEntry('production', ''),
  npmEntry('development', '.development'),
  {
    input: { index: 'src/server/index.ts', cli: 'src/server/cli.ts' },
    external,
    plugins: [ts()],
    output: { dir: 'dist/server', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs' },
  },
  scriptTag('production', 'dist/halo.js'),
  scriptTag('development', 'dist/halo.development.js'),
  {
    input: 'src/snippet.js',
    plugins: [terser({ ecma: 2015, compress: { passes: 2 }, format: { comments: false } })],
    output: { file: 'dist/snippet.js', format: 'es' },
  },
];
