// Servers and helpers the harness starts must not outlive it, even when it is killed with SIGKILL and no exit
// hook runs. Linux can send a process a signal when its parent dies (PR_SET_PDEATHSIG); util-linux's setpriv sets
// it and then execs the real program, so the PID the harness tracks is the program's own.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const SETPRIV = '/usr/bin/setpriv';

const executable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The command's path: as given when it names a file, else the first match on PATH. */
function which(command: string): string | undefined {
  if (command.includes('/')) return executable(command) ? command : undefined;
  return (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, command)).find(executable);
}

/**
 * `[command, args]` to spawn so that the process gets SIGKILL when the harness dies. Unchanged when setpriv is
 * missing, or the command is not found (spawn then fails with ENOENT, as callers expect).
 */
export function diesWithHarness(command: string, args: string[]): [string, string[]] {
  const path = which(command);
  if (!path || !executable(SETPRIV)) return [command, args];
  return [SETPRIV, ['--pdeathsig', 'KILL', '--', path, ...args]];
}
