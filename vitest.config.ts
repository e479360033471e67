import { defineConfig } from 'vitest/config';

// Tests start servers and worker processes: generous timeouts. Two files at a time: every memory figure a test
// checks is read inside its own worker process, so another file's load changes how long a build takes, never
// what it measures; and the tests wait on events, not on wall-clock limits.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
