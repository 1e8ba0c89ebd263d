import { defineConfig } from 'vitest/config';
import { alias } from './vitest.config.js';

// Real-browser tests (Chromium via playwright-core): one file at a time, generous timeouts.
export default defineConfig({
  resolve: { alias },
  test: {
    include: ['test/e2e/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    // One more try for a browser test on this shared 2-core machine: a real failure fails twice.
    retry: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
