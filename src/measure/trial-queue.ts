// The campaign's queue: every design's trials up to the fewest (those run whatever they show, so they are queued
// at once and two of one design may run together); a design's next trial beyond them (or its snapshot run) joins
// the queue when its trials so far are complete. Trials go on until the design's deciding figure is precise
// enough (as pyperf's and Fluid's runners do) or the most trials are taken.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesignTally } from '../analysis/design-result.ts';
import type { DesignDescriptor } from '../designs/descriptor.ts';
import { perObjectSlope } from '../stats/per-object.ts';
import { onHarnessExit } from '../util/processes.ts';
import type { CampaignOptions } from './campaign-options.ts';
import type { DesignPlan } from './run-plan.ts';
import { sweepSizes, trialRuns, type PlannedRun } from './runs.ts';

export interface Job {
  d: DesignPlan;
  run: PlannedRun;
  /** a snapshot run writes its heap snapshot here */
  snapshotPath?: string;
}

/** The figure whose precision decides whether another trial is needed: the heap for node, RSS for python. */
const decidingMetric = (d: DesignDescriptor): 'heapUsed' | 'rss' => (d.runtime === 'node' ? 'heapUsed' : 'rss');

function precise(tally: DesignTally, d: DesignDescriptor, target: number): boolean {
  const s = perObjectSlope(tally.samples, decidingMetric(d));
  if (!s || s.trialSlopes.length < 2 || !(s.bytes > 0)) return false;
  return (s.ci95[1] - s.ci95[0]) / 2 <= target * s.bytes;
}

/** Sizes the python cross-check worker reads tracemalloc and the allocators at, 0 to its N. */
export const CROSS_CHECK_STEPS = 5;

/** The cross-check worker's run: node reads only at n; python at CROSS_CHECK_STEPS sizes up to pythonN (at most its own largest size). */
export function crossCheckRun(d: DesignPlan, s: { n: number; pythonN: number }): PlannedRun | undefined {
  if (d.descriptor.runtime === 'node') return s.n > 0 ? { design: d.descriptor.id, trial: 0, ladder: [s.n] } : undefined;
  const n = Math.min(s.pythonN, Math.max(...d.sizes));
  return n > 0 ? { design: d.descriptor.id, trial: 0, ladder: sweepSizes(n, CROSS_CHECK_STEPS) } : undefined;
}

export class TrialQueue {
  readonly jobs: Job[] = [];
  /** runs still to finish, by design and trial */
  private readonly pending = new Map<string, number>();
  /** the highest trial queued, and the trials complete, by design */
  private readonly queued = new Map<string, number>();
  private readonly complete = new Map<string, number>();
  /** designs with no trial left to queue */
  private readonly finished = new Set<string>();
  private snapshotDir?: string;
  private removeSnapshotDir?: () => void;

  constructor(
    private readonly designs: DesignPlan[],
    private readonly opts: CampaignOptions,
    private readonly tallyOf: (id: string) => DesignTally,
  ) {
    for (let t = 1; t <= Math.max(1, opts.trials.min); t++) for (const d of designs) this.enqueueTrial(d, t);
    this.announce();
  }

  /** A run finished (not a snapshot run): its trial may now be complete. */
  runDone(job: Job): void {
    const key = `${job.d.descriptor.id}#${job.run.trial}`;
    const left = (this.pending.get(key) ?? 1) - 1;
    this.pending.set(key, left);
    if (left === 0) this.trialDone(job.d);
    this.announce();
  }

  /** Removes the snapshot directory (and whatever a snapshot run left in it). */
  dispose(): void {
    if (this.snapshotDir) rmSync(this.snapshotDir, { recursive: true, force: true });
    this.removeSnapshotDir?.();
  }

  private enqueueTrial(d: DesignPlan, trial: number) {
    const runs = trialRuns(d.descriptor.id, d.sizes, trial, this.opts.protocol, this.opts.seed);
    this.pending.set(`${d.descriptor.id}#${trial}`, runs.length);
    this.queued.set(d.descriptor.id, trial);
    for (const run of runs) this.jobs.push({ d, run });
  }

  private enqueueSnapshot(d: DesignPlan) {
    const run = this.opts.snapshot && crossCheckRun(d, this.opts.snapshot);
    if (!run || this.tallyOf(d.descriptor.id).samples.length === 0) return;
    if (!this.snapshotDir) {
      const dir = (this.snapshotDir = mkdtempSync(join(tmpdir(), 'kcb-snapshot-')));
      this.removeSnapshotDir = onHarnessExit(() => rmSync(dir, { recursive: true, force: true }));
    }
    const file = `${d.descriptor.id}.${d.descriptor.runtime === 'node' ? 'heapsnapshot' : 'pygraph'}`;
    this.jobs.push({ d, run, snapshotPath: join(this.snapshotDir, file) });
  }

  /** What is still to run, as far as it can be known now: for the progress line's ETA. */
  private announce() {
    const { opts } = this;
    const rest = this.jobs.map((j) => j.run);
    for (const d of this.designs) {
      const id = d.descriptor.id;
      if (this.finished.has(id)) continue;
      // (reading, not creating, the tally: a design not reached must have none, so the results say so)
      for (let t = (this.queued.get(id) ?? 0) + 1; t <= opts.trials.max; t++) rest.push(...trialRuns(id, d.sizes, t, opts.protocol, opts.seed));
      const check = opts.snapshot && crossCheckRun(d, opts.snapshot);
      if (check) rest.push(check);
    }
    opts.onPlan?.(rest);
  }

  /**
   * A trial of a design is complete. Once every queued trial is: another trial, or (precise enough, or the most
   * trials taken) its snapshot run.
   */
  private trialDone(d: DesignPlan) {
    const { opts } = this;
    const id = d.descriptor.id;
    const tally = this.tallyOf(id);
    const done = (this.complete.get(id) ?? 0) + 1;
    this.complete.set(id, done);
    tally.trials = done;
    // stopping: the trial counts, nothing more is queued
    if (opts.shouldStop() || done < (this.queued.get(id) ?? 0)) return;
    const more = done < opts.trials.max && !(done >= opts.trials.min && precise(tally, d.descriptor, opts.trials.targetRelHalfWidth));
    if (more) this.enqueueTrial(d, done + 1);
    else {
      this.finished.add(id);
      this.enqueueSnapshot(d);
    }
  }
}
