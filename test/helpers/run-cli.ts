// Runs an entry script as a user does, in a separate node process, and returns what they see. The process runs the
// script's bundle built for this test run (test/global-setup.ts: the same sources, plain node, no tsx loader to
// start); `tsx: true` runs the source through tsx instead, exactly as `npm run` does.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

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
    timeout: opts.timeoutMs ?? 300_000,
  });
}
