// How a sample worker is started, chosen from the design's runtime: the rest of the run is the same protocol.
import type { Runtime } from '../designs/descriptor.ts';
import { PYTHON, PYTHON_WORKER, pythonEnv } from '../worker/python/paths.ts';
import { supervise } from './child.ts';
import { nodeWorkerBundle } from './node-bundle.ts';
import type { Launcher } from './session.ts';

/**
 * Flags of every node worker (recorded in the results' meta). --max-semi-space-size=1 pins V8's young generation:
 * by default it grows with the allocation rate up to 3 × 16 MB and stays committed, a step in RSS that depends on
 * how fast the build allocated, not on how many objects it keeps. --single-threaded keeps the compilers and the
 * GC on the main thread, so no background thread holds malloc'd memory at one reading and not at the next.
 */
export const WORKER_NODE_FLAGS = ['--expose-gc', '--max-semi-space-size=1', '--single-threaded', '--compact-on-every-full-gc'];

/**
 * The worker's environment: the harness's minus anything that looks like a credential; the worker gets what it
 * needs over its protocol channel. One malloc arena: glibc's per-thread arenas keep freed memory in RSS.
 */
export function workerEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/PASSWORD|SECRET|TOKEN|AUTH/i.test(k)));
  return { ...env, MALLOC_ARENA_MAX: '1' };
}

export interface LaunchOptions {
  /** V8 old-space limit for node workers, MB (fault tests) */
  maxOldSpaceMb?: number;
}

export function launcherFor(runtime: Runtime, opts: LaunchOptions = {}): Launcher {
  if (runtime === 'python') {
    return async () => supervise({ kind: 'spawn-lines', command: PYTHON, args: ['-u', PYTHON_WORKER], env: { ...pythonEnv(), MALLOC_ARENA_MAX: '1' } });
  }
  return async (job) => {
    const execArgv = [...WORKER_NODE_FLAGS];
    if (opts.maxOldSpaceMb) execArgv.push(`--max-old-space-size=${opts.maxOldSpaceMb}`);
    return supervise({ kind: 'fork', module: await nodeWorkerBundle(job.design.module), execArgv, env: workerEnv() });
  };
}
