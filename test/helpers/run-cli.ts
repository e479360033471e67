// Runs an entry script as a user does, in a separate node process, and returns what they see. The process runs the
// script's bundle built for this test run (test/global-setup.ts: the same sources, plain node, no tsx loader to
// start); `tsx: true` runs the source through tsx instead, exactly as `npm run` does.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * How long a test lets a process it started run before killing it: a guard against a hang, never a measure of
 * speed (on a machine shared with other work, 2 CPU hogs and 4 test files at once, runs take 3–4× their quiet
 * time). The test and hook time limit (vitest.config.ts) is longer, so the test still sees what the process printed.
 */
export const PROCESS_GUARD_MS = 480_000;

export interface ScriptOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** through tsx, as `npm run` starts it, rather than the test run's bundle */
  tsx?: boolean;
}

/** node's arguments for running `script` (a path under bench/, from the repo root). */
export function scriptArgs(script: string, opts: { tsx?: boolean } = {}): string[] {
  return opts.tsx ? ['--import', 'tsx', script] : [join(inject('cliBundles'), basename(script).replace(/\.ts$/, '.mjs'))];
}

export function runScript(script: string, args: string[], opts: ScriptOptions = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...scriptArgs(script, opts), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    timeout: opts.timeoutMs ?? PROCESS_GUARD_MS,
  });
}
