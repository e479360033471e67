// Takes the planned worker runs one after another: for each, the stores the design needs (a private server per
// run, or the user's with a run-unique key prefix), a fresh worker, its readings, and the tokens Keystone
// issued meanwhile. Trials go on until the design's deciding figure is precise enough (as pyperf's and Fluid's
// runners do) or the most trials are taken. It never aborts on a failed run; it stops early only when told to
// (Ctrl-C), keeping everything measured so far.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { emptyTally, type DesignTally } from '../analysis/design-result.ts';
import type { StoreId, StoreLocation } from '../designs/contract.ts';
import type { DesignDescriptor } from '../designs/descriptor.ts';
import type { KeystoneEnv } from '../keystone/env.ts';
import type { InProcessOptions } from '../keystone/in-process-post.ts';
import type { SnapshotCheck } from '../results/schema.ts';
import { perObjectSlope } from '../stats/per-object.ts';
import { storeDriver } from '../stores/index.ts';
import { onHarnessExit } from '../util/processes.ts';
import { redact } from '../util/redact.ts';
import { trialRuns, type PlannedRun, type Protocol } from './plan.ts';
import { launcherFor } from './runtimes.ts';
import { stopBundling } from './node-bundle.ts';
import { pickNext, type RunTiming } from './schedule.ts';
import { runWorker, type RunOutcome, type StoreInUse } from './session.ts';

export interface CampaignDesign {
  descriptor: DesignDescriptor;
  sizes: number[];
}

export interface TrialPolicy {
  min: number;
  max: number;
  /** stop adding trials once the deciding slope's 95 % CI half-width is at most this share of the slope */
  targetRelHalfWidth: number;
}

export interface CampaignOptions {
  protocol: Protocol;
  seed: number;
  trials: TrialPolicy;
  concurrency: number;
  timeoutS: number;
  keystoneTimeoutMs: number;
  keystoneRetries: number;
  /** creations each worker runs before its first reading */
  warmup: (d: DesignDescriptor, maxN: number) => number;
  /** node workers take tokens from the stand-in's issuer in-process (src/keystone/in-process-post.ts) */
  inProcess?: InProcessOptions;
  /** stores the user owns, used instead of a private server */
  externalStores: Partial<Record<StoreId, StoreLocation>>;
  /** key prefix for every store, run-unique */
  keyPrefix: string;
  /** V8 old-space limit of node workers, MB, by design id ("*" = every node design) */
  workerMaxOldSpaceMb?: Record<string, number>;
  trace?: boolean;
  /** heap-snapshot cross-check of node designs: the size it is taken at, and the analysis */
  snapshot?: { n: number; analyse: (path: string) => Promise<Omit<SnapshotCheck, 'n'>> };
  shouldStop: () => boolean;
  /**
   * Workers measured at once (default 1). Each worker is its own process, so one's memory readings do not see
   * another's; only build times change. Above 1, tokens are counted by each worker's client (Keystone's own
   * count cannot be split between workers that run together).
   */
  jobs?: number;
  /**
   * After this many runs of a design in a row failed during set-up (Keystone or a store unusable) and none
   * succeeded, its remaining runs are recorded as failed without starting: a misconfigured run fails in seconds.
   */
  giveUpAfter?: number;
  /** a private store server started: its version, for the results' meta */
  onStoreVersion?: (id: StoreId, version: string) => void;
  onPlan?: (runs: PlannedRun[]) => void;
  onStart?: (r: PlannedRun) => void;
  onDone?: (r: PlannedRun, outcome: RunOutcome, ms: number) => void;
  note?: (text: string) => void;
}

/** A run-unique prefix, so a shared store never sees two runs' keys collide and cleanup deletes only ours. */
export const runKeyPrefix = () => `kcb:${randomBytes(6).toString('hex')}:`;

/** The figure whose precision decides whether another trial is needed: the heap for node, RSS for python. */
const decidingMetric = (d: DesignDescriptor): 'heapUsed' | 'rss' => (d.runtime === 'node' ? 'heapUsed' : 'rss');

function precise(tally: DesignTally, d: DesignDescriptor, target: number): boolean {
  const s = perObjectSlope(tally.samples, decidingMetric(d));
  if (!s || s.trialSlopes.length < 2 || !(s.bytes > 0)) return false;
  return (s.ci95[1] - s.ci95[0]) / 2 <= target * s.bytes;
}

async function openStores(d: DesignDescriptor, opts: CampaignOptions, keyPrefix: string): Promise<{ stores: Partial<Record<StoreId, StoreLocation>>; measured?: StoreInUse; close: () => Promise<void> }> {
  const stores: Partial<Record<StoreId, StoreLocation>> = {};
  const closers: Array<() => Promise<unknown>> = [];
  let measured: StoreInUse | undefined;
  try {
    for (const id of d.needs) {
      const driver = storeDriver(id);
      const external = opts.externalStores[id];
      let use: StoreInUse;
      if (external) {
        use = { driver, location: { ...external, keyPrefix } };
        // The user's store: delete exactly this run's keys afterwards (never a flush); they carry TTLs anyway.
        closers.push(() => driver.deleteKeys(use.location, opts.keystoneTimeoutMs).catch(() => 0));
      } else {
        const server = await driver.startPrivate(keyPrefix);
        opts.onStoreVersion?.(id, server.version);
        use = { driver, location: server.location, server };
        closers.push(() => server.stop());
      }
      stores[id] = use.location;
      measured ??= use;
    }
  } catch (err) {
    for (const c of closers) await c();
    throw err;
  }
  return { stores, measured, close: async () => { for (const c of closers) await c(); } };
}

/**
 * Runs the campaign. `tallies` is filled as runs complete (not only at the end), so whoever holds it — the CLI's
 * exit hook writing the partial file — sees every finished sample even if the process is ending.
 */
export async function runCampaign(designs: CampaignDesign[], keystone: KeystoneEnv, opts: CampaignOptions,
  tallies: Map<string, DesignTally> = new Map()): Promise<Map<string, DesignTally>> {
  const maxN = Math.max(0, ...designs.flatMap((d) => d.sizes), opts.snapshot?.n ?? 0);
  // node designs warm up with distinct trusts (the first ones, reused by the build afterwards)
  const warmupMax = Math.max(0, ...designs.map((d) => opts.warmup(d.descriptor, Math.max(0, ...d.sizes))));
  const trustIds = await keystone.trustIds(Math.max(maxN, warmupMax) + 1);
  const setupFailures = new Map<string, number>();
  const giveUpAfter = opts.giveUpAfter ?? 3;
  const jobs = Math.max(1, opts.jobs ?? 1);
  let runCount = 0;
  const finished = new Set<string>();
  const tallyOf = (id: string) => {
    let t = tallies.get(id);
    if (!t) tallies.set(id, (t = emptyTally()));
    return t;
  };

  const runOne = async (d: DesignDescriptor, run: PlannedRun, snapshotPath?: string): Promise<RunOutcome> => {
    const tally = tallyOf(d.id);
    if ((setupFailures.get(d.id) ?? 0) >= giveUpAfter) {
      const failure = { n: run.ladder.at(-1) ?? 0, trial: run.trial, reason: `not run: the previous ${giveUpAfter} runs of ${d.id} failed before building anything` };
      tally.failures.push(failure);
      return { samples: [], failure };
    }
    const before = keystone.tokensIssued();
    const t0 = Date.now();
    let outcome: RunOutcome;
    let stores: Awaited<ReturnType<typeof openStores>> | undefined;
    try {
      // A prefix of the run's own, so workers that run together on a store the user owns never delete each other's
      // keys. Fixed width: designs keep keys in memory, and run 10's one-character-longer prefix made every key
      // of a Redis design 8 B larger than run 9's (210 against 202 B per entry).
      stores = await openStores(d, opts, `${opts.keyPrefix}${String(++runCount).padStart(6, '0')}:`);
      const limits = opts.workerMaxOldSpaceMb ?? {};
      outcome = await runWorker({
        design: d, trial: run.trial, ladder: run.ladder, trustIds,
        ctx: {
          keystone: keystone.target, timeoutMs: opts.keystoneTimeoutMs, retries: opts.keystoneRetries, stores: stores.stores,
          ...(opts.inProcess && d.runtime === 'node' ? { inProcess: opts.inProcess } : {}),
        },
        warmup: opts.warmup(d, Math.max(...run.ladder)), concurrency: opts.concurrency, timeoutMs: opts.timeoutS * 1000,
        store: stores.measured, snapshotPath, trace: opts.trace,
      }, launcherFor(d.runtime, { maxOldSpaceMb: limits[d.id] ?? limits['*'] }));
    } catch (err) {
      // the run could not even start (a store server would not start): does not depend on n either
      outcome = { samples: [], failure: { n: 0, trial: run.trial, reason: redact((err as Error).message.split('\n')[0]) }, setup: true };
    } finally {
      await stores?.close();
    }
    tally.wallMs += Date.now() - t0;
    // Stopping kills the run in flight: its failure says nothing about the design, so it is not recorded.
    if (outcome.failure && opts.shouldStop()) return outcome;
    const after = keystone.tokensIssued();
    // Keystone's own count when it can be read (the stand-in), no other worker ran meanwhile and every token came
    // from it, otherwise the worker's client-side count.
    const served = !(opts.inProcess && d.runtime === 'node');
    if (jobs === 1 && served && before !== undefined && after !== undefined) tally.tokensIssued += after - before;
    else tally.tokensIssued += Math.max(0, ...outcome.samples.map((s) => s.tokens ?? 0));
    if (!snapshotPath) tally.samples.push(...outcome.samples);
    if (outcome.failure) tally.failures.push(outcome.failure);
    const setupFailed = !!outcome.failure && outcome.setup && tally.samples.length === 0;
    setupFailures.set(d.id, setupFailed ? (setupFailures.get(d.id) ?? 0) + 1 : 0);
    return outcome;
  };

  // The queue: every design's trials up to the fewest (those run whatever they show, so they are queued at once
  // and two of one design may run together); a design's next trial beyond them (or its snapshot run) joins the
  // queue when its trials so far are complete. Every first trial starts before any other run (src/measure/
  // schedule.ts), so an interrupted run still has whole sweeps of most designs.
  interface Job { d: CampaignDesign; run: PlannedRun; snapshotPath?: string }
  const queue: Job[] = [];
  /** runs still to finish, by design and trial */
  const pending = new Map<string, number>();
  /** the highest trial queued, and the trials complete, by design */
  const queued = new Map<string, number>();
  const complete = new Map<string, number>();
  let snapshotDir: string | undefined;
  let removeSnapshotDir: (() => void) | undefined;
  const enqueueTrial = (d: CampaignDesign, trial: number) => {
    const runs = trialRuns(d.descriptor.id, d.sizes, trial, opts.protocol, opts.seed);
    pending.set(`${d.descriptor.id}#${trial}`, runs.length);
    queued.set(d.descriptor.id, trial);
    for (const run of runs) queue.push({ d, run });
  };
  const enqueueSnapshot = (d: CampaignDesign) => {
    if (!opts.snapshot || d.descriptor.runtime !== 'node' || tallyOf(d.descriptor.id).samples.length === 0) return;
    if (!snapshotDir) {
      const dir = (snapshotDir = mkdtempSync(join(tmpdir(), 'kcb-snapshot-')));
      removeSnapshotDir = onHarnessExit(() => rmSync(dir, { recursive: true, force: true }));
    }
    queue.push({ d, run: { design: d.descriptor.id, trial: 0, ladder: [opts.snapshot.n] }, snapshotPath: join(snapshotDir, `${d.descriptor.id}.heapsnapshot`) });
  };
  /** What is still to run, as far as it can be known now: for the progress line's ETA. */
  const announce = () => {
    const rest = queue.map((j) => j.run);
    for (const d of designs) {
      const id = d.descriptor.id;
      if (finished.has(id)) continue;
      // (reading, not creating, the tally: a design not reached must have none, so the results say so)
      for (let t = (queued.get(id) ?? 0) + 1; t <= opts.trials.max; t++) rest.push(...trialRuns(id, d.sizes, t, opts.protocol, opts.seed));
      if (opts.snapshot && d.descriptor.runtime === 'node') rest.push({ design: id, trial: 0, ladder: [opts.snapshot.n] });
    }
    opts.onPlan?.(rest);
  };
  /**
   * A trial of a design is complete. Once every queued trial is: another trial, or (precise enough, or the most
   * trials taken) its snapshot run.
   */
  const trialDone = (d: CampaignDesign) => {
    const id = d.descriptor.id;
    const tally = tallyOf(id);
    const done = (complete.get(id) ?? 0) + 1;
    complete.set(id, done);
    tally.trials = done;
    // stopping: the trial counts, nothing more is queued
    if (opts.shouldStop() || done < (queued.get(id) ?? 0)) return;
    const more = done < opts.trials.max && !(done >= opts.trials.min && precise(tally, d.descriptor, opts.trials.targetRelHalfWidth));
    if (more) enqueueTrial(d, done + 1);
    else {
      finished.add(id);
      enqueueSnapshot(d);
    }
  };
  const execute = async (job: Job) => {
    const { d, run, snapshotPath } = job;
    opts.onStart?.(run);
    const t0 = Date.now();
    const outcome = await runOne(d.descriptor, run, snapshotPath);
    if (outcome.failure && opts.shouldStop()) return;
    opts.onDone?.(run, outcome, Date.now() - t0);
    if (snapshotPath) {
      if (!outcome.snapshotWritten) return;
      try {
        tallyOf(d.descriptor.id).snapshot = { n: run.ladder[0], ...(await opts.snapshot!.analyse(snapshotPath)) };
      } catch (err) {
        // stopping kills the analysis: not worth a note
        if (!opts.shouldStop()) opts.note?.(redact(`${d.descriptor.id}: heap snapshot not analysed: ${(err as Error).message.split('\n')[0]}`));
      } finally {
        rmSync(snapshotPath, { force: true });
      }
      return;
    }
    const key = `${d.descriptor.id}#${run.trial}`;
    const left = (pending.get(key) ?? 1) - 1;
    pending.set(key, left);
    if (left === 0) trialDone(d);
    announce();
  };

  for (let t = 1; t <= Math.max(1, opts.trials.min); t++) for (const d of designs) enqueueTrial(d, t);
  announce();
  try {
    await new Promise<void>((resolve) => {
      let active = 0;
      // A store the user owns is one server for every worker: its memory reading would count another worker's
      // keys, so workers that use it run one at a time (private stores are one per worker anyway).
      const busy = new Set<StoreId>();
      const shared = (job: Job) => job.d.descriptor.needs.filter((id) => opts.externalStores[id]);
      const timing = new Map<string, RunTiming>();
      const timingOf = (id: string) => {
        let t = timing.get(id);
        if (!t) timing.set(id, (t = { finished: [], running: [] }));
        return t;
      };
      const pump = () => {
        // stopped: nothing new starts; designs not reached keep no tally, so the results say they were not measured
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
          execute(job).catch((err) => opts.note?.(redact(`${job.d.descriptor.id}: ${(err as Error).message.split('\n')[0]}`)))
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
  } finally {
    if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
    removeSnapshotDir?.();
    await stopBundling();
  }
  return tallies;
}
