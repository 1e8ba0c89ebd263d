// Declarations for CommonJS consumers. tsc emits ESM `.d.ts` files (the package is
// `"type": "module"`); a `.d.cts` that re-exported them would be a CJS file importing ESM
// (TS1479 under `module: node16`). So every `.d.ts` gets a `.d.cts` twin whose relative
// imports point at the other twins: a whole CJS declaration tree beside the ESM one.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `./x.js` → `./x.cjs` in `from '…'`, `import('…')` and `declare module '…'` specifiers;
 * jose is ESM-only, so its type imports say so (`resolution-mode`), or TS1541 under node16.
 */
const toCjs = (code) =>
  code
    .replace(/((?:from|import\(|module)\s*['"])(\.{1,2}\/[^'"]+)\.js(['"])/g, '$1$2.cjs$3')
    .replace(/^(import type .* from 'jose(?:\/[^']*)?');$/gm, "$1 with { 'resolution-mode': 'import' };");

for (const entry of readdirSync('dist', { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), toCjs(readFileSync(file, 'utf8')));
}

// tsc's declaration of the script-tag entry is an empty `export {}`; halo.js has its own.
rmSync('dist/iife.d.ts', { force: true });
rmSync('dist/iife.d.cts', { force: true });

// The script-tag files define the page's `Halo` global. Their types declare it, for apps
// that call `Halo.init(…)` / `window.Halo` from TypeScript:
// `/// <reference types="halo-widget/halo.js" />` or `import type {} from 'halo-widget/halo.js'`.
const globalTypes = (what) => `// ${what}
import type { HaloFacade } from './index.js';

declare global {
  /** The page's Halo: \`Halo.init(options)\`, then every client method (see HaloFacade). */
  var Halo: HaloFacade;
}

export {};
`;
writeFileSync(
  'dist/halo.d.ts',
  globalTypes("dist/halo.js, the script-tag bundle: sets window.Halo and replays the snippet's queued calls."),
);
writeFileSync(
  'dist/snippet.d.ts',
  globalTypes('dist/snippet.js, the stub inlined in the page: window.Halo queues every call until halo.js replaces it.'),
);
