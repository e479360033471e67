// A short-lived helper process whose answer the harness waits for (a design module described, a heap snapshot
// analysed): tracked by PID so a signal or exit kills it, killed when it uses more CPU time or wall time than it
// may, or prints more than it may, and never a reason for the harness itself to hang or run out of memory.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { diesWithHarness } from './parent-death.ts';
import { trackChild } from './processes.ts';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux the harness runs on). */
const USER_HZ = 100;

/** CPU time (user + system) a process has used, ms; undefined once it is gone. */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

export interface BoundedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** the last 8 KB */
  stderr: string;
  /** stopped at the wall-time limit */
  timedOut: boolean;
  /** stopped at the CPU-time limit */
  cpuExceeded: boolean;
  /** stdout passed maxStdoutBytes: the child was killed */
  overflowed: boolean;
  /** the process could not be started (e.g. ENOENT) */
  spawnError?: NodeJS.ErrnoException;
}

/**
 * `cpuLimitMs`: a busy child is stopped after this much CPU time of its own, however loaded the machine is (a
 * wall-time limit alone would either stop honest work on a busy machine or wait long for a loop on a quiet one);
 * `timeoutMs`: the wall time a child may take, for one that waits on something that never comes.
 */
export function runBounded(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number; cpuLimitMs?: number; maxStdoutBytes?: number }): Promise<BoundedRun> {
  return new Promise((resolve) => {
    const child = spawn(...diesWithHarness(command, args), { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    const max = opts.maxStdoutBytes ?? 1 << 20;
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let cpuExceeded = false;
    let overflowed = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    const kill = () => {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    };
    child.stdout!.on('data', (d: Buffer) => {
      if (overflowed) return;
      stdout += d.toString();
      if (stdout.length > max) {
        overflowed = true;
        stdout = stdout.slice(0, max);
        kill();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8192)));
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    const cpuLimit = opts.cpuLimitMs;
    const poll = cpuLimit === undefined ? undefined : setInterval(() => {
      if (child.pid !== undefined && (cpuMsOf(child.pid) ?? 0) > cpuLimit) {
        cpuExceeded = true;
        kill();
      }
    }, 100);
    let settled = false;
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr, timedOut, cpuExceeded, overflowed, ...(spawnError ? { spawnError } : {}) });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
      if (child.pid === undefined) done(null, null);
    });
    child.on('close', done);
  });
}
