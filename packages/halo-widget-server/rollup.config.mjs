// The service's build: its library entry and its CLI, ESM for Node. Everything installed
// stays an import (halo-widget's token helpers, pg, PGlite), loaded from node_modules.
import { typescriptPlugin as ts } from '../../scripts/typescript-plugin.mjs';

const external = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');

export default [
  {
    input: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
    external,
    plugins: [ts()],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs' },
  },
];
