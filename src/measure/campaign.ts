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
import type { SnapshotCheck } from '../results/schema.ts';
import { perObjectSlope } from '../stats/per-object.ts';
import { storeDriver } from '../stores/index.ts';
import { onHarnessExit } from '../util/processes.ts';
import { redact } from '../util/redact.ts';
import { trialRuns, type PlannedRun, type Protocol } from './plan.ts';
import { launcherFor } from './runtimes.ts';
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

async function openStores(d: DesignDescriptor, opts: CampaignOptions): Promise<{ stores: Partial<Record<StoreId, StoreLocation>>; measured?: StoreInUse; close: () => Promise<void> }> {
  const stores: Partial<Record<StoreId, StoreLocation>> = {};
  const closers: Array<() => Promise<unknown>> = [];
  let measured: StoreInUse | undefined;
  try {
    for (const id of d.needs) {
      const driver = storeDriver(id);
      const external = opts.externalStores[id];
      let use: StoreInUse;
      if (external) {
        use = { driver, location: { ...external, keyPrefix: opts.keyPrefix } };
        // The user's store: delete exactly this run's keys afterwards (never a flush); they carry TTLs anyway.
        closers.push(() => driver.deleteKeys(use.location, opts.keystoneTimeoutMs).catch(() => 0));
      } else {
        const server = await driver.startPrivate(opts.keyPrefix);
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
      stores = await openStores(d, opts);
      const limits = opts.workerMaxOldSpaceMb ?? {};
      outcome = await runWorker({
        design: d, trial: run.trial, ladder: run.ladder, trustIds,
        ctx: { keystone: keystone.target, timeoutMs: opts.keystoneTimeoutMs, retries: opts.keystoneRetries, stores: stores.stores },
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
    // Keystone's own count when it can be read (the stand-in), otherwise the worker's client-side count.
    if (before !== undefined && after !== undefined) tally.tokensIssued += after - before;
    else tally.tokensIssued += Math.max(0, ...outcome.samples.map((s) => s.tokens ?? 0));
    if (!snapshotPath) tally.samples.push(...outcome.samples);
    if (outcome.failure) tally.failures.push(outcome.failure);
    const setupFailed = !!outcome.failure && outcome.setup && tally.samples.length === 0;
    setupFailures.set(d.id, setupFailed ? (setupFailures.get(d.id) ?? 0) + 1 : 0);
    return outcome;
  };

  const announce = (fromTrial: number) => {
    const rest: PlannedRun[] = [];
    for (let t = fromTrial; t <= opts.trials.max; t++) {
      for (const d of designs) if (!finished.has(d.descriptor.id)) rest.push(...trialRuns(d.descriptor.id, d.sizes, t, opts.protocol, opts.seed));
    }
    opts.onPlan?.(rest);
  };

  announce(1);
  for (let trial = 1; trial <= opts.trials.max && !opts.shouldStop(); trial++) {
    let changed = false;
    for (const d of designs) {
      // stopped: the designs not reached keep no tally, so the results say they were not measured
      if (opts.shouldStop()) break;
      const id = d.descriptor.id;
      if (finished.has(id)) continue;
      if (trial > opts.trials.min && precise(tallyOf(id), d.descriptor, opts.trials.targetRelHalfWidth)) {
        finished.add(id);
        changed = true;
        continue;
      }
      for (const run of trialRuns(id, d.sizes, trial, opts.protocol, opts.seed)) {
        if (opts.shouldStop()) break;
        opts.onStart?.(run);
        const t0 = Date.now();
        const outcome = await runOne(d.descriptor, run);
        if (outcome.failure && opts.shouldStop()) break;
        opts.onDone?.(run, outcome, Date.now() - t0);
      }
      tallyOf(id).trials = trial;
    }
    if (changed) announce(trial + 1);
  }

  // The cross-check: one more worker per node design, at a small N, whose heap snapshot is analysed here.
  if (opts.snapshot && !opts.shouldStop()) {
    const dir = mkdtempSync(join(tmpdir(), 'kcb-snapshot-'));
    const removeDir = onHarnessExit(() => rmSync(dir, { recursive: true, force: true }));
    try {
      for (const d of designs.filter((x) => x.descriptor.runtime === 'node')) {
        const tally = tallyOf(d.descriptor.id);
        if (opts.shouldStop() || tally.samples.length === 0) continue;
        const run: PlannedRun = { design: d.descriptor.id, trial: 0, ladder: [opts.snapshot.n] };
        const path = join(dir, `${d.descriptor.id}.heapsnapshot`);
        opts.onStart?.(run);
        const t0 = Date.now();
        const outcome = await runOne(d.descriptor, run, path);
        opts.onDone?.(run, outcome, Date.now() - t0);
        if (!outcome.snapshotWritten) continue;
        try {
          tally.snapshot = { n: opts.snapshot.n, ...(await opts.snapshot.analyse(path)) };
        } catch (err) {
          opts.note?.(redact(`${d.descriptor.id}: heap snapshot not analysed: ${(err as Error).message.split('\n')[0]}`));
        } finally {
          rmSync(path, { force: true });
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      removeDir();
    }
  }
  return tallies;
}
