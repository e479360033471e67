// The bench command's phases, in the order main.ts runs them; a Run (./run.ts) carries what they share.
import type { BenchOptions } from '../../cli/args.ts';
import { UsageError } from '../../cli/errors.ts';
import type { Progress } from '../../cli/progress.ts';
import { designResult, type DesignTally } from '../../analysis/design-result.ts';
import type { DesignDescriptor } from '../../designs/descriptor.ts';
import { BUILTIN_MODULES } from '../../design-registry/builtin.ts';
import { loadDesigns } from '../../design-registry/registry.ts';
import { startStandInEnv } from '../../keystone/env.ts';
import { runCampaign, runKeyPrefix } from '../../measure/campaign.ts';
import { stopPidusage } from '../../measure/outside.ts';
import { planRun } from '../../measure/run-plan.ts';
import { assembleResults } from '../../results/assemble.ts';
import { baseMeta } from '../../results/meta.ts';
import { readResults } from '../../results/read.ts';
import type { Meta, Results } from '../../results/schema.ts';
import { storeDriver } from '../../stores/index.ts';
import { firstLine } from '../../util/text.ts';
import { redact } from '../../util/redact.ts';
import { runMeta } from './meta.ts';
import { timed, type Planned, type Run } from './run.ts';

/** The designs loaded through the one door, and the run's plan; a baseline file is read now, before anything starts. */
export async function loadAndPlan(opts: BenchOptions, argv: string[]): Promise<Planned> {
  const startedAt = new Date();
  const base = baseMeta(argv, startedAt);
  const phases: Record<string, number> = {};
  const baseline = opts.baseline ? readResults(opts.baseline) : undefined;
  const set = await timed(phases, 'load designs', () => loadDesigns(opts.designModules, BUILTIN_MODULES, opts.designs));
  return { base, set, plan: planRun(opts, set), ...(baseline ? { baseline } : {}), phases, startedAt };
}

/** Stores the user owns must answer before anything starts: exit 2 now rather than fail every sample later. */
export async function probeExternalStores(opts: BenchOptions, designs: DesignDescriptor[]): Promise<Meta['stores']> {
  const stores: Meta['stores'] = {};
  for (const id of new Set(designs.flatMap((d) => d.needs))) {
    const driver = storeDriver(id);
    const external = opts.externalStores[id];
    if (!external) {
      stores[id] = { kind: 'private', version: 'unknown' };
      continue;
    }
    try {
      stores[id] = { kind: 'external', version: await driver.version({ ...external, keyPrefix: 'kcb:' }, 3000) };
    } catch (err) {
      throw new UsageError(`--${driver.flag.name} ${driver.flag.show(external)} does not answer: ${firstLine((err as Error).message)}`);
    }
  }
  return stores;
}

export async function openKeystone(opts: BenchOptions, argv: string[], planned: Planned, stores: Meta['stores'], progress: Progress, tallies: Map<string, DesignTally>): Promise<Run> {
  const keystone = await timed(planned.phases, 'start keystone', async () => {
    if (!opts.keystoneUrl) return startStandInEnv({ services: opts.catalogServices, trusts: planned.plan.trusts });
    const { connectRealKeystone } = await import('../../keystone/real.ts');
    return connectRealKeystone(opts.keystoneUrl, process.env, { trusts: planned.plan.trusts, note: (t) => progress.note(t) });
  });
  const inProcess = opts.tokenPath === 'in-process' ? keystone.inProcess : undefined;
  return { ...planned, opts, argv, keystone, ...(inProcess ? { inProcess } : {}), keyPrefix: runKeyPrefix(), external: opts.externalStores, stores, progress, tallies };
}

export async function measureMemory(run: Run, stopped: () => boolean): Promise<void> {
  const { opts, plan, progress } = run;
  const { analyseSnapshotInChild } = await import('../../snapshot/in-child.ts');
  await timed(run.phases, 'measure memory', () => runCampaign(plan.designs, run.keystone, {
    protocol: plan.protocol,
    seed: plan.seed,
    trials: plan.trials,
    concurrency: opts.concurrency,
    jobs: opts.jobs,
    timeoutS: opts.timeoutS,
    keystoneTimeoutMs: opts.keystoneTimeoutS * 1000,
    keystoneRetries: 2,
    ...(run.inProcess ? { inProcess: run.inProcess } : {}),
    externalStores: run.external,
    keyPrefix: run.keyPrefix,
    // in a child (src/snapshot/in-child.ts): a signal during the analysis stops it at once
    ...(plan.snapshotN > 0 || plan.pythonSnapshotN > 0 ? { snapshot: { n: plan.snapshotN, pythonN: plan.pythonSnapshotN, analyse: analyseSnapshotInChild } } : {}),
    shouldStop: stopped,
    onStoreVersion: (id, version) => (run.stores[id] = { kind: 'private', version }),
    onPlan: (runs) => progress.plan(runs),
    onStart: (r) => progress.start(r),
    onDone: (r, o, ms) => progress.done(r, !o.failure, ms, o.failure?.reason),
    note: (t) => progress.note(t),
  }, run.tallies));
}

const measuredDesigns = (run: Run) => run.plan.designs.map((d) => d.descriptor).filter((d) => (run.tallies.get(d.id)?.samples.length ?? 0) > 0);

/**
 * The real notifier as the no-cache baseline, when a design that requires Aodh's modules ran; then latency, only
 * for designs that produced a sample (with a broken Keystone or store it would only time out). Neither costs the
 * memory results when it fails.
 */
export async function measureExtras(run: Run, stopped: () => boolean): Promise<void> {
  const { opts, progress } = run;
  const measured = measuredDesigns(run);
  const skipped = (what: string, err: unknown) => {
    if (!stopped()) progress.note(redact(`${what}: not measured: ${firstLine((err as Error).message)}`));
  };
  if (!stopped() && opts.latency && measured.some((d) => d.requires?.some((m) => m.startsWith('aodh')))) {
    const { measureNotifier } = await import('../../latency/notifier.ts');
    try {
      run.notifier = await timed(run.phases, 'aodh notifier', () => measureNotifier(run.keystone));
    } catch (err) {
      skipped('aodh notifier baseline', err);
    }
  }
  if (!stopped() && opts.latency && measured.length) {
    const { runLatency } = await import('../../latency/run.ts');
    try {
      run.latency = await timed(run.phases, 'latency', () => runLatency(run.keystone, measured, {
        externalStores: run.external, keyPrefix: run.keyPrefix, timeoutMs: opts.keystoneTimeoutS * 1000, retries: 2, timeMs: opts.latencyMs, note: (t) => progress.note(t),
      }));
    } catch (err) {
      skipped('latency', err);
    }
  }
}

export async function closeRun(run: Run): Promise<void> {
  await run.keystone.close();
  stopPidusage();
}

const NOT_REACHED = 'not measured: the run was interrupted first';

/** The results as they stand: every listed design, measured, unavailable or (partial) not reached. */
export function resultsOf(run: Run, partial: boolean): Results {
  const { plan, set, tallies } = run;
  return assembleResults(runMeta(run, partial), plan.listed.map((id) => {
    const p = plan.designs.find((x) => x.descriptor.id === id);
    const d = p?.descriptor ?? set.designs.find((x) => x.id === id);
    const fallback = { id, title: id, runtime: 'node' as const, topology: 'per-worker' as const, needs: [] };
    // not reached: no sample finished or failed (a run the signal stopped is not the design's failure)
    const t = tallies.get(id);
    const why = set.unavailable.get(id) ?? (partial && !(t?.samples.length || t?.failures.length) ? NOT_REACHED : undefined);
    return designResult(d ?? fallback, p?.sizes ?? [], tallies.get(id), why);
  }), run.latency, run.notifier);
}
