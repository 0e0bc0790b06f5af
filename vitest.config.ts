import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Test files share one private dockerd and a 2-core machine: run them one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    globalSetup: ['test/harness/global-setup.ts'],
    // After each file: nothing it started still runs (test/harness/leak-check.ts).
    setupFiles: ['test/harness/leak-check.ts'],
    reporters: ['default'],
  },
});
