// Drives src/worker/python/worker.py (the generic python design worker) for tests and scripts/measure-python.ts:
// describe a module, or run the sample protocol (start → ready → grow… → release) against a Keystone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pythonEnv } from '../../src/worker/python/paths.ts';

export const PYTHON = '/usr/bin/python3';
export const WORKER = fileURLToPath(new URL('../../src/worker/python/worker.py', import.meta.url));
export const BASELINE = fileURLToPath(new URL('../../src/worker/python/notifier_baseline.py', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The environment the harness gives its python workers (the registered stores among it). */
export const pyEnv = (): NodeJS.ProcessEnv => pythonEnv();

export interface PyDescribe {
  stdout: string;
  stderr: string;
  status: number | null;
  json?: Record<string, unknown>;
}

export function describeModule(path: string): PyDescribe {
  const r = spawnSync(PYTHON, ['-u', WORKER, '--describe', path], { encoding: 'utf8', env: pyEnv(), timeout: 60_000 });
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    /* the test says what it expected */
  }
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, json };
}

export interface PyCtx {
  auth_url: string;
  username: string;
  password: string;
  user_domain_name: string;
  timeout_s?: number;
  retries?: number;
  stores?: Record<string, { socket_path?: string; servers?: string[]; key_prefix: string }>;
}

export type PyMsg = { type: string; [k: string]: any };

/** One sample-mode worker. next() returns the next protocol line (parsed). */
export class PyWorker {
  readonly child: ChildProcess;
  readonly lines: Interface;
  stderr = '';
  private queue: PyMsg[] = [];
  private waiters: ((m: PyMsg) => void)[] = [];
  readonly closed: Promise<number | null>;

  constructor() {
    this.child = spawn(PYTHON, ['-u', WORKER], { stdio: ['pipe', 'pipe', 'pipe'], env: pyEnv() });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-8000)));
    this.child.stdin!.on('error', () => {});
    this.lines = createInterface({ input: this.child.stdout! });
    this.lines.on('line', (l) => {
      let m: PyMsg;
      try {
        m = JSON.parse(l);
      } catch {
        m = { type: 'non-protocol', line: l };
      }
      const w = this.waiters.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
    this.closed = new Promise((res) => this.child.on('close', (code) => {
      for (const w of this.waiters.splice(0)) w({ type: 'closed', code, stderr: this.stderr });
      res(code);
    }));
  }

  send(m: object): void {
    this.child.stdin!.write(JSON.stringify(m) + '\n');
  }

  next(): Promise<PyMsg> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.child.exitCode !== null) return Promise.resolve({ type: 'closed', code: this.child.exitCode, stderr: this.stderr });
    return new Promise((res) => this.waiters.push(res));
  }

  /** open file descriptors and sockets of the worker, read from outside */
  fds(): { fds: number; sockets: number } {
    const dir = `/proc/${this.child.pid}/fd`;
    let sockets = 0;
    const names = readdirSync(dir);
    for (const n of names) {
      try {
        if (readlinkSync(`${dir}/${n}`).startsWith('socket:')) sockets++;
      } catch {
        /* closed meanwhile */
      }
    }
    return { fds: names.length, sockets };
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}


export interface StartOpts {
  module: string;
  ctx: PyCtx;
  warmupTrustId: string;
  warmup?: number;
  capacity: number;
  trace?: boolean;
}

export async function startWorker(o: StartOpts): Promise<{ w: PyWorker; ready: PyMsg }> {
  const w = new PyWorker();
  w.send({ type: 'start', module: o.module, ctx: o.ctx, warmup_trust_id: o.warmupTrustId, warmup: o.warmup ?? 1, capacity: o.capacity, trace: o.trace ?? false });
  const ready = await w.next();
  return { w, ready };
}

export async function grow(w: PyWorker, trustIds: string[]): Promise<PyMsg> {
  w.send({ type: 'grow', trust_ids: trustIds });
  return w.next();
}

export async function release(w: PyWorker): Promise<number | null> {
  w.send({ type: 'release' });
  return w.closed;
}

/** Least-squares slope and R² of y over x. */
export function slope(xs: number[], ys: number[]): { slope: number; r2: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  const b = sxy / sxx;
  return { slope: b, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}
