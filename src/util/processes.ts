// Every child the harness starts (sample workers, redis-servers, python workers) is tracked here by PID, so that
// Ctrl-C, SIGTERM, an uncaught error or a normal exit kills exactly those processes and nothing else.
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
const exitHooks = new Set<() => void>();
let installed = false;

export function trackChild(child: ChildProcess): () => void {
  installHandlers();
  children.add(child);
  const untrack = () => children.delete(child);
  child.once('exit', untrack);
  return untrack;
}

/** Synchronous: safe to call from 'exit' handlers. */
export function killAllChildren(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill(signal);
      } catch {
        /* already gone */
      }
    }
  }
}

/** Runs on any process exit, before children are killed: used to write the partial results file. */
export function onHarnessExit(hook: () => void): () => void {
  installHandlers();
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}

let interrupted: NodeJS.Signals | null = null;
export const interruptedBy = () => interrupted;
/** The shell's convention, 128 + signal number: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP. */
export const exitCodeFor = (sig: NodeJS.Signals) => ({ SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as Record<string, number>)[sig] ?? 130;
const signalListeners = new Set<(sig: NodeJS.Signals) => void>();
/** Lets a long run stop between samples when the user presses Ctrl-C, instead of dying mid-write. */
export function onInterrupt(listener: (sig: NodeJS.Signals) => void): () => void {
  installHandlers();
  signalListeners.add(listener);
  return () => signalListeners.delete(listener);
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    // last registered, first run (as atexit): a hook registered later (the partial file) may need an earlier one's
    // resource (the output directory's lock) still held
    for (const hook of [...exitHooks].reverse()) {
      try {
        hook();
      } catch {
        /* exit path: nothing else can be done */
      }
    }
    killAllChildren('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      const second = interrupted !== null;
      interrupted = sig;
      killAllChildren('SIGKILL');
      if (second || signalListeners.size === 0) {
        process.exit(exitCodeFor(sig));
      }
      for (const l of signalListeners) l(sig);
    });
  }
  // Writing to a closed pipe (e.g. `npm run bench | head`) must not leave children behind.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
}

/** Whether a process with this PID exists (EPERM: it does, owned by another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
