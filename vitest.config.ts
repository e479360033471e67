import { defineConfig } from 'vitest/config';

// Tests start servers and worker processes: generous timeouts. Three files at a time on two cores: every memory
// figure a test checks is read inside its own worker process, so another file's load changes how long a build
// takes, never what it measures; and the tests wait on events, not on wall-clock limits. A third file fills the
// cores while the others wait on children; beside two CPU hogs it took the suite from 410 s to 360 s (four: 361 s).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 3,
  },
});
