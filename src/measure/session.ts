// One worker process through its whole life: start, the n = 0 reading, one grow per size of its ladder (each
// reading joined by the parent's outside view), an optional heap snapshot, release. Every way it can fail —
// crash, OOM kill, an error message, a timeout — ends the run with a FailedSample; readings taken before the
// failure are kept.
import type { DesignDescriptor } from '../designs/descriptor.ts';
import type { FailedSample, Sample } from '../results/schema.ts';
import type { OpenStore } from '../stores/open.ts';
import type { StoreId, StoreLocation } from '../designs/contract.ts';
import { storeDriver } from '../stores/index.ts';
import { mulberry32 } from '../stats/bootstrap.ts';
import { redact } from '../util/redact.ts';
import type { Supervised } from './child.ts';
import { openFds, rssOf } from './outside.ts';
import type { AllocationSite, ContextSpec, MemoryReading, ParentMessage, WorkerMessage } from '../worker/protocol.ts';
import { errorLine } from '../util/text.ts';

/** The store whose memory a sample reads beside the worker's: the first the design needs. */
export type StoreInUse = Pick<OpenStore, 'driver' | 'location' | 'server'>;

export interface RunJob {
  design: DesignDescriptor;
  trial: number;
  /** sizes to read at, ascending; 0 is the reading right after the warm-up */
  ladder: number[];
  /** warm-up trust first, then at least max(ladder) distinct trusts */
  trustIds: string[];
  ctx: ContextSpec;
  warmup: number;
  concurrency: number;
  /** the whole run, ms */
  timeoutMs: number;
  store?: StoreInUse;
  /** write a heap snapshot (node) or the object graph (python) here after the last reading */
  snapshotPath?: string;
  trace?: boolean;
}

export interface RunOutcome {
  samples: Sample[];
  failure?: FailedSample;
  /** failed before building anything: the failure does not depend on n */
  setup?: boolean;
  snapshotWritten?: boolean;
  /** python's cross-check worker: the allocation sites that grew the most */
  sites?: AllocationSite[];
}

export type Launcher = (job: RunJob) => Promise<Supervised<ParentMessage, WorkerMessage>>;

/** The measured store's bytes; on a store the user owns, the growth since `baseline` (their data is not ours). */
const storeBytes = async (job: RunJob, baseline = 0) => (job.store ? (await job.store.driver.usedMemory(job.store.location, job.ctx.timeoutMs)) - baseline : undefined);

async function outsideView(job: RunJob, pid: number | undefined, storeBaseline?: number): Promise<Partial<Sample>> {
  const [pidusageRss, storeRss, storeUsedMemory] = await Promise.all([
    rssOf(pid),
    rssOf(job.store?.server?.pid),
    storeBytes(job, storeBaseline),
  ]);
  const fd = openFds(pid);
  return {
    pidusageRss: pidusageRss ?? NaN,
    ...(fd ? { fds: fd.fds, sockets: fd.sockets } : {}),
    ...(storeUsedMemory !== undefined ? { storeUsedMemory } : {}),
    ...(storeRss !== undefined ? { storeRss } : {}),
  };
}

function toSample(n: number, trial: number, m: MemoryReading, outside: Partial<Sample>, extra: Partial<Sample> = {}): Sample {
  return { n, trial, rss: m.rss, pidusageRss: NaN, ...stripUndefined(m), ...outside, ...extra } as Sample;
}
const stripUndefined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));

/** 0 .. 256 KB, fixed for a (design, trial) so a run can be repeated, different from one trial to the next. */
export function ditherBytes(design: string, trial: number): number {
  const rand = mulberry32([...design].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, trial * 2654435761));
  return Math.floor(rand() * 256 * 1024);
}

export async function runWorker(job: RunJob, launch: Launcher): Promise<RunOutcome> {
  const samples: Sample[] = [];
  let n = 0;
  let building = false;
  let timedOut = false;
  let child: Supervised<ParentMessage, WorkerMessage> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child?.kill();
  }, job.timeoutMs);
  const expect = async <T extends WorkerMessage['type']>(type: T): Promise<Extract<WorkerMessage, { type: T }>> => {
    const m = await child!.next();
    if (m.type === 'error') throw Object.assign(new Error(m.message), { setup: m.setup ?? !building });
    if (m.type !== type) throw new Error(`worker sent "${m.type}" where "${type}" was expected`);
    return m as Extract<WorkerMessage, { type: T }>;
  };
  try {
    child = await launch(job);
    const capacity = Math.max(0, ...job.ladder);
    child.send({
      type: 'start', module: job.design.module, ctx: job.ctx, warmup: job.design.runtime === 'node' ? 0 : job.warmup, warmupTrustId: job.trustIds[0],
      capacity, concurrency: job.concurrency, ...(job.trace ? { trace: true } : {}),
      ...(job.design.runtime === 'node' ? { padBytes: ditherBytes(job.design.id, job.trial) } : {}),
    });
    let zero = (await expect('ready')).memory;
    if (job.design.runtime === 'node' && job.warmup > 0) {
      // node's warm-up goes through grow itself, so the first measured step runs no code for the first time
      child.send({ type: 'grow', trustIds: job.trustIds.slice(1, 1 + job.warmup), discard: true });
      zero = (await expect('reading')).memory;
      // The warm-up's records in a store belong to the build's own trusts: left there, the build would only
      // overwrite them and the store would not grow until N passed the warm-up. Only this run's prefix goes.
      for (const [id, location] of Object.entries(job.ctx.stores) as Array<[StoreId, StoreLocation]>) {
        await storeDriver(id).deleteKeys(location, job.ctx.timeoutMs);
      }
    }
    // A store the user owns holds their data too: its readings are the growth from here on, after the warm-up.
    const storeBaseline = job.store && !job.store.server ? await storeBytes(job) : undefined;
    const outside = (pid: number | undefined) => outsideView(job, pid, storeBaseline);
    if (job.ladder.includes(0)) samples.push(toSample(0, job.trial, zero, await outside(child.pid), { buildMs: 0 }));
    for (const size of job.ladder.filter((s) => s > 0)) {
      building = true;
      const ids = job.trustIds.slice(1 + n, 1 + size);
      n = size;
      child.send({ type: 'grow', trustIds: ids });
      const r = await expect('reading');
      samples.push(toSample(r.n, job.trial, r.memory, await outside(child.pid), { buildMs: Math.round(r.buildMs), tokens: r.tokens }));
    }
    let snapshotWritten = false;
    let sites: AllocationSite[] | undefined;
    if (job.snapshotPath) {
      child.send({ type: 'snapshot', path: job.snapshotPath });
      sites = (await expect('snapshot-written')).sites;
      snapshotWritten = true;
    }
    child.send({ type: 'release' });
    const exit = await child.exited;
    if (exit.code !== 0) throw new Error(child.exitReason(exit));
    return { samples, snapshotWritten, ...(sites?.length ? { sites } : {}) };
  } catch (err) {
    child?.kill();
    await child?.exited;
    const e = err as Error & { setup?: boolean };
    const reason = timedOut ? `timed out after ${Math.round(job.timeoutMs / 1000)} s` : errorLine(e);
    return { samples, failure: { n, trial: job.trial, reason: redact(reason).slice(0, 400) }, setup: e.setup ?? !building };
  } finally {
    clearTimeout(timer);
  }
}
