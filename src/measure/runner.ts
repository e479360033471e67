// Runs one sample: forks a fresh worker, hands it the job over IPC, and when the worker reports its reading takes
// the outside view (pidusage RSS of the worker and of the redis-server) before letting the worker exit.
// Any way a worker can fail — crash, OOM kill, error message, timeout — becomes a FailedSample with a reason.
import { fork } from 'node:child_process';
import pidusage from 'pidusage';
import type { DesignContext } from '../designs/design.ts';
import type { FailedSample, Sample } from '../results/schema.ts';
import { trackChild } from '../util/processes.ts';
import { redact } from '../util/redact.ts';
import type { ParentMessage, WorkerMessage } from './protocol.ts';

import { workerBundle } from './worker-bundle.ts';

export interface SampleJob {
  design: string;
  n: number;
  trial: number;
  /** warm-up trust first, then at least n trusts */
  trustIds: string[];
  ctx: DesignContext;
  /** pid of the private redis-server this sample uses, for its RSS */
  redisPid?: number;
  concurrency?: number;
  /** whole sample, ms */
  timeoutMs: number;
  /** V8 old-space limit for the worker, MB (a crash test sets it tiny) */
  maxOldSpaceMb?: number;
}

/**
 * Flags of every node worker (recorded in the results' meta). --max-semi-space-size=1 pins V8's young generation:
 * by default it grows with the allocation rate up to 3 × 16 MB and stays committed, a step in RSS that depends on
 * how fast the build allocated, not on how many objects it keeps — with it pinned, RSS slopes measure retention.
 */
export const WORKER_NODE_FLAGS = ['--expose-gc', '--max-semi-space-size=1'];

/** `setup`: the worker failed before building anything (Keystone or Redis unusable), whatever n was. */
export type SampleOutcome = { ok: true; sample: Sample } | { ok: false; failure: FailedSample; setup?: boolean };

/** RSS of another process (/proc/<pid>/stat via pidusage); undefined when it is gone. */
export async function rssOf(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  try {
    return (await pidusage(pid)).memory;
  } catch {
    return undefined;
  }
}

/**
 * The worker's environment: the harness's, minus anything that looks like a credential (OS_PASSWORD with
 * --keystone-url, …). The worker gets what it needs over IPC; /proc/<pid>/environ of a worker holds no secret.
 */
function workerEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/PASSWORD|SECRET|TOKEN|AUTH/i.test(k)));
}

export async function runNodeSample(job: SampleJob): Promise<SampleOutcome> {
  const worker = await workerBundle();
  const execArgv = [...WORKER_NODE_FLAGS];
  if (job.maxOldSpaceMb) execArgv.push(`--max-old-space-size=${job.maxOldSpaceMb}`);
  const child = fork(worker, [], { execArgv, env: workerEnv(), stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
  const untrack = trackChild(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });

  return new Promise<SampleOutcome>((resolve) => {
    let done = false;
    let reason: string | undefined;
    let setup: boolean | undefined;
    const finish = (outcome: SampleOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      untrack();
      resolve(outcome);
    };
    const fail = (why: string) => finish({ ok: false, failure: { n: job.n, trial: job.trial, reason: redact(why) }, setup });
    const timer = setTimeout(() => {
      reason = `timed out after ${Math.round(job.timeoutMs / 1000)} s`;
      child.kill('SIGKILL');
    }, job.timeoutMs);

    child.on('message', async (msg: WorkerMessage) => {
      if (msg.type === 'error') {
        reason = msg.message;
        setup = msg.setup;
        return;
      }
      const [pidusageRss, redisRss] = await Promise.all([rssOf(child.pid), rssOf(job.redisPid)]);
      const m = msg.memory;
      const sample: Sample = {
        n: job.n,
        trial: job.trial,
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        pidusageRss: pidusageRss ?? NaN,
        buildMs: Math.round(msg.buildMs),
        tokens: msg.tokens,
      };
      // On an existing Redis the absolute figure includes the user's data: keep only this sample's growth.
      if (msg.redisUsedMemory !== undefined) sample.redisUsedMemory = msg.redisUsedMemory - (msg.redisUsedMemoryBaseline ?? 0);
      if (redisRss !== undefined) sample.redisRss = redisRss;
      child.send({ type: 'release' } satisfies ParentMessage);
      finish({ ok: true, sample });
    });
    child.on('exit', (code, signal) => {
      if (done) return;
      const oom = /heap out of memory|Allocation failed/i.test(stderr);
      const why = reason
        ?? (oom ? 'worker ran out of memory (V8 heap limit)' : signal ? `worker killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory, or stopped)' : ''}` : `worker exited with code ${code}`);
      const tail = !reason && !oom ? stderr.trim().split('\n').filter(Boolean).pop() : undefined;
      fail(tail ? `${why}: ${tail.slice(0, 300)}` : why);
    });
    child.on('error', (err) => fail(`cannot start worker: ${err.message}`));
    child.send({ type: 'start', design: job.design, n: job.n, trustIds: job.trustIds.slice(0, job.n + 1), ctx: job.ctx, concurrency: job.concurrency ?? 8 } satisfies ParentMessage);
  });
}

export const stopPidusage = () => pidusage.clear();
