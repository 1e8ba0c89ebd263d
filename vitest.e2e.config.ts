import { defineConfig } from 'vitest/config';

// Real-browser tests (Chromium via playwright-core): one file at a time, generous timeouts.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
