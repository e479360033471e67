// Takes the planned worker runs: a worker per run (./worker-runs.ts), from a queue that grows trial by trial until
// each design's figure is precise enough (./trial-queue.ts), --jobs at a time. It never aborts on a failed run; it
// stops early only when told to (Ctrl-C), keeping everything measured so far.
import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { emptyTally, type DesignTally } from '../analysis/design-result.ts';
import type { StoreId } from '../designs/contract.ts';
import type { KeystoneEnv } from '../keystone/env.ts';
import { redact } from '../util/redact.ts';
import { errorLine } from '../util/text.ts';
import { stopBundling } from '../util/bundle.ts';
import type { CampaignDesign, CampaignOptions } from './campaign-options.ts';
import { trustsNeeded } from './run-plan.ts';
import { pickNext, type RunTiming } from './schedule.ts';
import { TrialQueue, type Job } from './trial-queue.ts';
import { WorkerRuns } from './worker-runs.ts';

export type { CampaignDesign, CampaignOptions } from './campaign-options.ts';

/** A run-unique prefix, so a shared store never sees two runs' keys collide and cleanup deletes only ours. */
export const runKeyPrefix = () => `kcb:${randomBytes(6).toString('hex')}:`;

/**
 * Runs the campaign. `tallies` is filled as runs complete (not only at the end), so whoever holds it — the CLI's
 * exit hook writing the partial file — sees every finished sample even if the process is ending.
 */
export async function runCampaign(designs: CampaignDesign[], keystone: KeystoneEnv, opts: CampaignOptions,
  tallies: Map<string, DesignTally> = new Map()): Promise<Map<string, DesignTally>> {
  // node designs warm up with distinct trusts (the first ones, reused by the build afterwards)
  const trustIds = await keystone.trustIds(trustsNeeded(designs, opts.snapshot?.n, opts.snapshot?.pythonN));
  const tallyOf = (id: string) => {
    let t = tallies.get(id);
    if (!t) tallies.set(id, (t = emptyTally()));
    return t;
  };
  const runs = new WorkerRuns(keystone, opts, trustIds, tallyOf);
  const queue = new TrialQueue(designs, opts, tallyOf);
  const execute = async (job: Job) => {
    const { d, run, snapshotPath } = job;
    opts.onStart?.(run);
    const t0 = Date.now();
    const outcome = await runs.run(d, run, snapshotPath);
    if (outcome.failure && opts.shouldStop()) return;
    opts.onDone?.(run, outcome, Date.now() - t0);
    if (snapshotPath) {
      if (outcome.snapshotWritten) await analyseSnapshot(job, opts, tallyOf(d.descriptor.id));
      return;
    }
    queue.runDone(job);
  };
  try {
    await drain(queue.jobs, execute, opts);
  } finally {
    queue.dispose();
    await stopBundling();
  }
  return tallies;
}

async function analyseSnapshot(job: Job, opts: CampaignOptions, tally: DesignTally): Promise<void> {
  const path = job.snapshotPath!;
  try {
    tally.snapshot = { n: Math.max(...job.run.ladder), ...(await opts.snapshot!.analyse(path, job.d.descriptor.runtime)) };
  } catch (err) {
    // stopping kills the analysis: not worth a note
    if (!opts.shouldStop()) opts.note?.(redact(`${job.d.descriptor.id}: heap snapshot not analysed: ${errorLine(err)}`));
  } finally {
    rmSync(path, { force: true });
  }
}

/**
 * Starts queued jobs, --jobs at a time, in the order src/measure/schedule.ts picks, until the queue is empty (jobs
 * that finish may queue more) or the run is told to stop: then nothing new starts, and designs not reached keep no
 * tally, so the results say they were not measured.
 */
function drain(queue: Job[], execute: (job: Job) => Promise<void>, opts: CampaignOptions): Promise<void> {
  const jobs = Math.max(1, opts.jobs ?? 1);
  // A store the user owns is one server for every worker: its memory reading would count another worker's keys,
  // so workers that use it run one at a time (private stores are one per worker anyway).
  const busy = new Set<StoreId>();
  const shared = (job: Job) => job.d.descriptor.needs.filter((id) => opts.externalStores[id]);
  const timing = new Map<string, RunTiming>();
  const timingOf = (id: string) => {
    let t = timing.get(id);
    if (!t) timing.set(id, (t = { finished: [], running: [] }));
    return t;
  };
  return new Promise<void>((resolve) => {
    let active = 0;
    const pump = () => {
      while (!opts.shouldStop() && active < jobs) {
        const at = pickNext(queue.map((j) => ({ design: j.d.descriptor.id, trial: j.run.trial, job: j })),
          (q) => shared(q.job).every((id) => !busy.has(id)), timing, Date.now());
        if (at < 0) break;
        const [job] = queue.splice(at, 1);
        const holds = shared(job);
        for (const id of holds) busy.add(id);
        active++;
        const t = job.run.trial > 0 ? timingOf(job.d.descriptor.id) : undefined;
        const started = Date.now();
        t?.running.push(started);
        execute(job).catch((err) => opts.note?.(redact(`${job.d.descriptor.id}: ${errorLine(err)}`)))
          .finally(() => {
            active--;
            if (t) {
              t.running.splice(t.running.indexOf(started), 1);
              t.finished.push(Date.now() - started);
            }
            for (const id of holds) busy.delete(id);
            pump();
          });
      }
      if (active === 0 && (queue.length === 0 || opts.shouldStop())) resolve();
    };
    pump();
  });
}
