// For the fault and signal tests: run the bench as a user does but without blocking (so a test can watch it and
// signal it), and see its child processes by PID through /proc — the only way to prove none outlives the run.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { PROCESS_GUARD_MS, ROOT, scriptArgs, type ScriptOptions } from './run-cli.ts';

export interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Running {
  pid: number;
  /** stderr so far */
  stderr(): string;
  done: Promise<Finished>;
}

/** Starts `script` (run-cli.ts scriptArgs) from the repo root; SIGKILLed after timeoutMs so no test can hang. */
export function startScript(script: string, args: string[], opts: ScriptOptions = {}): Running {
  const t0 = Date.now();
  const child = spawn(process.execPath, [...scriptArgs(script, opts), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? PROCESS_GUARD_MS);
  const done = new Promise<Finished>((resolve) => {
    child.on('close', (status, signal) => {
      clearTimeout(killer);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
  return { pid: child.pid!, stderr: () => stderr, done };
}

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
}

function stat(pid: number): ProcInfo | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const [state, ppid] = text.slice(close + 2).split(' ');
    return { pid, ppid: Number(ppid), comm: text.slice(text.indexOf('(') + 1, close), state };
  } catch {
    return undefined; // gone between readdir and read
  }
}

/**
 * PIDs of the direct children of `pid`: from each of its threads' /proc/<pid>/task/<tid>/children (a few small
 * reads), or, on a kernel without that file, by scanning every /proc/<n>/stat (hundreds of reads per call: the
 * watchers below poll every 20 ms, so this is most of their cost).
 */
const PER_THREAD_CHILDREN = existsSync(`/proc/self/task/${process.pid}/children`);

function childPids(pid: number): number[] {
  if (!PER_THREAD_CHILDREN) return readdirSync('/proc').filter((n) => /^\d+$/.test(n) && stat(Number(n))?.ppid === pid).map(Number);
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // gone
  }
  const out: number[] = [];
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return out;
}

const cmdlineOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return ''; // gone
  }
};

/** Direct children of `pid`, with their /proc/<n>/stat and command line. */
export function childrenOf(pid: number): Array<ProcInfo & { cmdline: string }> {
  const out: Array<ProcInfo & { cmdline: string }> = [];
  for (const child of childPids(pid)) {
    const s = stat(child);
    if (s?.ppid === pid) out.push({ ...s, cmdline: cmdlineOf(child) });
  }
  return out;
}

/** Alive = exists and is not a zombie waiting to be reaped (PID 1 here may reap late). */
export const isAlive = (pid: number) => {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
};

/** The private temp dir of a redis-server, from its argv ("--unixsocket <dir>/redis.sock") or the title it sets ("unixsocket:<dir>/redis.sock"). */
export const redisDirOf = (cmdline: string) => /unixsocket[: ](\S+)\/redis\.sock/.exec(cmdline)?.[1];

export interface ChildWatch {
  /** every child seen so far, by PID */
  seen: Map<number, { comm: string; cmdline: string }>;
  /** temp dirs of the redis-servers seen */
  redisDirs(): string[];
  stop(): void;
}

/** Polls the children of `pid` every `everyMs` ms until stop(). */
export function watchChildren(pid: number, everyMs = 20): ChildWatch {
  const seen = new Map<number, { comm: string; cmdline: string }>();
  const poll = () => {
    // Keep the latest non-empty view: a child seen between fork and exec still shows its parent's comm and
    // cmdline (node), and only a later poll sees the redis-server it became. The command line is read again
    // only when the name changed (an exec) or none was read yet.
    for (const child of childPids(pid)) {
      const s = stat(child);
      if (s?.ppid !== pid) continue;
      const known = seen.get(child);
      if (known && known.comm === s.comm && known.cmdline) continue;
      const cmdline = cmdlineOf(child);
      if (!known || cmdline) seen.set(child, { comm: s.comm, cmdline });
    }
  };
  poll();
  const timer = setInterval(poll, everyMs);
  return {
    seen,
    redisDirs: () => [...seen.values()].map((c) => redisDirOf(c.cmdline)).filter((d): d is string => Boolean(d)),
    stop: () => clearInterval(timer),
  };
}

/** PIDs from `pids` still alive after waiting up to `ms` (reaping is asynchronous). */
export async function survivors(pids: number[], ms = 3000): Promise<number[]> {
  const until = Date.now() + ms;
  let alive = pids.filter(isAlive);
  while (alive.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    alive = alive.filter(isAlive);
  }
  return alive;
}

export const leftoverDirs = (dirs: string[]) => dirs.filter((d) => existsSync(d));

/** Waits until `cond` holds, polling; throws after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGKILLs the given PIDs, ignoring those already gone. Tests pass only PIDs they saw as their own runs' children. */
export function killStrays(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
