// Four builds (SPEC §2): the npm ESM/CJS entry, the Node-only server entry, the
// minified script-tag IIFE with jose bundled, and the tiny snippet stub.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { typescriptPlugin as ts } from './scripts/typescript-plugin.mjs';

// pg and PGlite stay imports of the server build, loaded only when a database store is used.
const external = (id) => id === 'jose' || id.startsWith('jose/') || id.startsWith('node:') || id === 'pg' || id.startsWith('@electric-sql/pglite');

export default [
  {
    input: { index: 'src/index.ts' },
    external,
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs' },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', exports: 'named' },
    ],
  },
  {
    input: { index: 'src/server/index.ts', cli: 'src/server/cli.ts' },
    external,
    plugins: [ts()],
    output: { dir: 'dist/server', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs' },
  },
  {
    input: 'src/iife.ts',
    plugins: [nodeResolve({ browser: true }), ts(), terser({ ecma: 2020, format: { comments: false } })],
    output: { file: 'dist/halo.js', format: 'iife', inlineDynamicImports: true },
  },
  {
    input: 'src/snippet.js',
    plugins: [terser({ ecma: 2015, compress: { passes: 2 }, format: { comments: false } })],
    output: { file: 'dist/snippet.js', format: 'es' },
  },
];
