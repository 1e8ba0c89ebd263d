// The builds (SPEC §2): the npm ESM/CJS entry and its React binding, the Node-only server
// entry (ESM, and CJS for `require`), the minified script-tag IIFE with jose bundled, and
// the tiny snippet stub.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { typescriptPlugin as ts } from './scripts/typescript-plugin.mjs';

const external = (id) => id === 'jose' || id.startsWith('jose/') || id.startsWith('node:');

/**
 * The React binding imports the core as `halo-widget` (the package itself), not as a copy or
 * a shared chunk: the app's bundler then resolves both to the same core file, whichever
 * export condition (development or production) it picks.
 */
const coreAsPackage = {
  name: 'core-as-package',
  resolveId: (source, importer) => (importer?.includes('/src/react/') && source === '../index.js' ? { id: 'halo-widget', external: true } : null),
};

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
    input: { react: 'src/react/index.ts' },
    external: (id) => id === 'react',
    plugins: [coreAsPackage, ts()],
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
    // `require('halo-widget/server')` from CommonJS apps (Express): jose stays external and
    // loads through Node's require(esm), which the `engines` range (≥ 20.19) has.
    input: { index: 'src/server/index.ts' },
    external,
    plugins: [ts()],
    output: { dir: 'dist/server', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs', exports: 'named' },
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
