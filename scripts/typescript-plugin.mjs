// The one TypeScript setting for rollup, shared by rollup.config.mjs and the bench's
// per-module size breakdown: rollup emits only JS (declarations come from
// `tsc -p tsconfig.build.json`), so every emit option of tsconfig.json is reset here.
import { join } from 'node:path';
import typescript from '@rollup/plugin-typescript';

/** `@rollup/plugin-typescript` for `src/` of the package at `root`; `overrides` win. */
export function typescriptPlugin({ root = '.', ...overrides } = {}) {
  return typescript({
    tsconfig: join(root, 'tsconfig.json'),
    include: [join(root, 'src/**/*.ts')],
    declaration: false,
    declarationDir: undefined,
    outDir: undefined,
    rootDir: undefined,
    noEmit: false,
    sourceMap: false,
    ...overrides,
  });
}
