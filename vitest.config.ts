import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Tests import the packages by name and run their sources (no build needed for unit tests). */
export const alias = {
  'halo-widget/server': fileURLToPath(new URL('./packages/halo-widget/src/server/index.ts', import.meta.url)),
  'halo-widget/protocol': fileURLToPath(new URL('./packages/halo-widget/src/protocol.ts', import.meta.url)),
};

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/e2e/**', '**/node_modules/**'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
