import { defineConfig } from 'vitest/config';

// Tests start servers and worker processes. Four files at a time on two cores: every memory figure a test checks
// is read inside its own worker process, so another file's load changes how long a build takes, never what it
// measures; the tests wait on events, not on wall-clock limits; and most of a file's time is spent waiting on its
// children, so four files keep the cores busy (beside other work on the machine, too). The time limits are hang
// guards only, long enough for a machine shared with other work (test/helpers/run-cli.ts PROCESS_GUARD_MS).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 4,
  },
});
