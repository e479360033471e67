// One helper for every child the harness supervises (node sample workers, python workers, simulation workers):
// it is tracked by PID (killed on Ctrl-C or any exit), its stderr tail is kept for the failure reason, messages
// arrive in order through next(), and the way it ended is said in one line.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { trackChild } from '../util/processes.ts';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Supervised<In, Out> {
  readonly pid: number | undefined;
  send(msg: In): void;
  /** The next message; rejects with the exit's reason when the child ends first. */
  next(): Promise<Out>;
  /** Resolves when the child has exited (and its output is drained). */
  readonly exited: Promise<ChildExit>;
  kill(): void;
  /** Why it ended, in one line: out of memory, killed by a signal, or an exit code with its last stderr line. */
  exitReason(e: ChildExit): string;
}

export type Launch =
  | { kind: 'fork'; module: string; execArgv: string[]; env: NodeJS.ProcessEnv }
  | { kind: 'spawn-lines'; command: string; args: string[]; env: NodeJS.ProcessEnv };

export function supervise<In, Out>(launch: Launch): Supervised<In, Out> {
  const child: ChildProcess = launch.kind === 'fork'
    ? fork(launch.module, [], { execArgv: launch.execArgv, env: launch.env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' })
    : spawn(launch.command, launch.args, { env: launch.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const untrack = trackChild(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const inbox: Out[] = [];
  const waiting: Array<{ resolve: (m: Out) => void; reject: (e: Error) => void }> = [];
  let ended: Error | undefined;
  const deliver = (m: Out) => {
    const w = waiting.shift();
    if (w) w.resolve(m);
    else inbox.push(m);
  };
  if (launch.kind === 'fork') {
    child.on('message', (m: Out) => deliver(m));
  } else {
    child.stdin!.on('error', () => {
      /* the child died before reading: its exit explains why */
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        deliver(JSON.parse(line) as Out);
      } catch {
        ended ??= new Error('worker printed a line that is not part of the protocol on stdout');
        child.kill('SIGKILL');
      }
    });
  }
  const exitReason = (e: ChildExit) => {
    if (/heap out of memory|Allocation failed|MemoryError/i.test(stderr)) return 'worker ran out of memory';
    if (e.signal) return `worker killed by ${e.signal}${e.signal === 'SIGKILL' ? ' (out of memory, or stopped)' : ''}`;
    const tail = stderr.trim().split('\n').filter(Boolean).pop();
    return `worker exited with code ${e.code}${tail ? `: ${tail.slice(0, 300)}` : ''}`;
  };
  // 'close' comes after stdout is drained, so a last protocol line is never lost to a race with 'exit'.
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('close', (code, signal) => {
      untrack();
      const e = { code, signal };
      const err = ended ?? new Error(exitReason(e));
      for (const w of waiting.splice(0)) w.reject(err);
      ended ??= err;
      resolve(e);
    });
    child.once('error', (err) => {
      ended ??= new Error(`cannot start worker: ${err.message}`);
      if (child.pid === undefined) {
        untrack();
        for (const w of waiting.splice(0)) w.reject(ended);
        resolve({ code: null, signal: null });
      }
    });
  });
  return {
    pid: child.pid,
    send(msg) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (launch.kind === 'fork') child.send(msg as object);
      else child.stdin!.write(`${JSON.stringify(msg)}\n`);
    },
    next() {
      const m = inbox.shift();
      if (m !== undefined) return Promise.resolve(m);
      if (ended) return Promise.reject(ended);
      return new Promise<Out>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    exitReason,
  };
}
