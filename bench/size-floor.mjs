// How small lazy loading could make the core: the production core bundled from src/ with the
// modules that run only near expiry or after a failure replaced by stubs (what a lazily loaded
// chunk would leave behind), to see whether the 5 KB budget is reachable that way.
// `node bench/size-floor.mjs` — a measurement for docs/perf-notes.md, not part of `npm run bench`.
import { gzipSync } from 'node:zlib';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';
import { nodeEnv } from '../scripts/node-env-plugin.mjs';
import { typescriptPlugin } from '../scripts/typescript-plugin.mjs';
import { ROOT } from '../test/helpers/sizes.mjs';

// Each stub keeps the module's exports, with bodies that do nothing.
const STUBS = {
  'src/sdk/refresher.ts':
    'export class Refresher { get running() { return false } refresh() { return Promise.reject(new Error("lazy")) } }',
  'src/sdk/cross-tab.ts': 'export function createCoordinator() { return null }',
  'src/sdk/delivery.ts':
    'export const MESSAGE_BASE_DELAY_MS = 1000, MESSAGE_MAX_DELAY_MS = 30000; export function isRetryable() { return false }' +
    ' export function deliveryDelay() { return null } export function isTransient() { return true }' +
    ' export function messageDelay() { return 1000 } export const isOffline = () => false; export function waitForNetwork() {}',
};

async function coreGzip(stubbed) {
  const id = '\0halo-floor-entry';
  const bundle = await rollup({
    input: id,
    onwarn: () => {},
    preserveEntrySignatures: 'allow-extension',
    plugins: [
      {
        name: 'entry',
        resolveId: (source) => (source === id ? id : null),
        load: (file) => (file === id ? `export { createHalo } from '${ROOT}/src/index.ts';` : null),
      },
      { name: 'stubs', load: (file) => stubbed.map((path) => (file === `${ROOT}/${path}` ? STUBS[path] : null)).find(Boolean) ?? null },
      nodeResolve({ browser: true }),
      nodeEnv('production'),
      typescriptPlugin({ root: ROOT, noEmitOnError: false }),
    ],
  });
  try {
    const { output } = await bundle.generate({ format: 'es', plugins: [terser({ ecma: 2020, format: { comments: false } })] });
    return gzipSync(output.find((chunk) => chunk.isEntry).code, { level: 9 }).length;
  } finally {
    await bundle.close();
  }
}

const paths = Object.keys(STUBS);
for (let n = 0; n <= paths.length; n++) {
  const stubbed = paths.slice(0, n);
  console.log(`${String(await coreGzip(stubbed)).padStart(5)} B gzip  without ${stubbed.join(', ') || 'nothing'}`);
}
