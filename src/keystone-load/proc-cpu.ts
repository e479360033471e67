// CPU time of a process tree, read from /proc: the Keystone server's master, its workers and its HTTP router.
// Counting CPU time (utime + stime, in clock ticks) instead of timing requests keeps the figure what Keystone
// itself spent, whatever else the machine is doing. A process of the tree that ended and was reaped moves its
// time into its parent's cutime/cstime, so the sum over the live tree of all four fields never loses it.
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let tickMs: number | undefined;
/** Milliseconds per clock tick (USER_HZ; 10 ms on Linux almost everywhere). */
export function clockTickMs(): number {
  if (tickMs === undefined) {
    let hz = 100;
    try {
      hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      /* getconf missing: Linux's USER_HZ is 100 */
    }
    tickMs = 1000 / hz;
  }
  return tickMs;
}

export interface ProcStat {
  pid: number;
  state: string;
  /** utime + stime + cutime + cstime, clock ticks */
  ticks: number;
}

/** /proc/<pid>/stat, or undefined when the process is gone. The command name may hold spaces and parentheses. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // after "pid (comm) ": state is field 3, utime..cstime are fields 14..17
  const [utime, stime, cutime, cstime] = [f[11], f[12], f[13], f[14]].map(Number);
  return { pid, state: f[0], ticks: utime + stime + cutime + cstime };
}

function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
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

/** The root and every live descendant, root first. */
export function processTree(root: number): number[] {
  const seen: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    if (seen.includes(pid) || !procStat(pid)) continue;
    seen.push(pid);
    queue.push(...childrenOf(pid));
  }
  return seen;
}

export interface TreeCpu {
  /** CPU ms of the tree so far (its reaped descendants included) */
  ms: number;
  pids: number[];
}

/** CPU time of the whole tree, ms. Throws when the root is gone: nothing can be counted then. */
export function treeCpu(root: number): TreeCpu {
  const pids = processTree(root);
  if (!pids.length) throw new Error(`process ${root} is not running: its CPU time cannot be read`);
  let ticks = 0;
  for (const pid of pids) ticks += procStat(pid)?.ticks ?? 0;
  return { ms: ticks * clockTickMs(), pids };
}
