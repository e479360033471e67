// A server process the harness starts for itself (a private redis-server or memcached) and the private 0700
// directory its socket lives in: tracked by PID so Ctrl-C or any exit kills it, and stop() kills it, waits for
// it and removes the directory, whichever way it ends (also if it never started).
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { onHarnessExit, trackChild } from './processes.ts';

export interface OwnedProcess {
  exited(): boolean;
  exitCode(): number | null;
  /** set when the binary could not be started at all (ENOENT…): 'error' comes and no 'exit' */
  spawnError(): NodeJS.ErrnoException | undefined;
  stop(): Promise<void>;
}

export function ownProcess(child: ChildProcess, dir: string): OwnedProcess {
  const untrack = trackChild(child);
  // If the harness exits before stop() (a second Ctrl-C, an uncaught error), the directory still goes.
  const removeDirHook = onHarnessExit(() => rmSync(dir, { recursive: true, force: true }));
  let exited = false;
  let exitCode: number | null = null;
  let spawnError: NodeJS.ErrnoException | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code) => { exited = true; exitCode = code; resolve(); });
    child.once('error', (err: NodeJS.ErrnoException) => { spawnError = err; exited = true; resolve(); });
  });
  return {
    exited: () => exited,
    exitCode: () => exitCode,
    spawnError: () => spawnError,
    async stop() {
      if (!exited && child.pid) child.kill('SIGKILL');
      await exitPromise;
      untrack();
      removeDirHook();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
