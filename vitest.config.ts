import { defineConfig } from 'vitest/config';

// Tests start servers and worker processes: generous timeouts, and files one at a time so a memory test is
// never squeezed by another file's workers on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
