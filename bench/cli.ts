// `npm run bench`: CLI → designs → plan → one fresh worker per run → analysis → results JSON → exporters/report.
// This file only wires the steps together; each step lives in src/.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDesigns, HELP, maxsizeFor, oldSpaceLimits, parseBenchArgs, stepsFor, type BenchOptions } from '../src/cli/args.ts';
import { runMain, UsageError } from '../src/cli/errors.ts';
import { createProgress, type Progress } from '../src/cli/progress.ts';
import { markOutDir } from '../src/cli/out-dir.ts';
import { lockOutDir } from '../src/cli/out-lock.ts';
import { designResult, type DesignTally } from '../src/analysis/design-result.ts';
import type { StoreId, StoreLocation } from '../src/designs/contract.ts';
import type { DesignDescriptor } from '../src/designs/descriptor.ts';
import { BUILTIN_MODULES } from '../src/catalog/builtin.ts';
import { loadDesigns } from '../src/catalog/registry.ts';
import { runCampaign, runKeyPrefix } from '../src/measure/campaign.ts';
import { startStandInEnv, type KeystoneEnv } from '../src/keystone/env.ts';
import { runEntries, sweepSizes } from '../src/measure/plan.ts';
import { stopPidusage } from '../src/measure/outside.ts';
import { WORKER_NODE_ENV, WORKER_NODE_FLAGS } from '../src/measure/runtimes.ts';
import { assembleResults } from '../src/results/assemble.ts';
import { baseMeta } from '../src/results/meta.ts';
import { readResults } from '../src/results/read.ts';
import type { LatencyResult, Meta, NotifierBaseline, Results } from '../src/results/schema.ts';
import { writeFileAtomic } from '../src/results/write.ts';
import { summaryMarkdown } from '../src/report/markdown.ts';
import { samplesCsv } from '../src/report/csv.ts';
import { writeReport } from '../src/report/index.ts';
import { tokenModelSection } from '../src/model/results-model.ts';
import { storeDriver } from '../src/stores/index.ts';
import { exitCodeFor, interruptedBy, onHarnessExit, onInterrupt } from '../src/util/processes.ts';
import { redact } from '../src/util/redact.ts';

async function openKeystone(opts: BenchOptions, trusts: number, note: (text: string) => void): Promise<KeystoneEnv> {
  if (opts.keystoneUrl) {
    const { connectRealKeystone } = await import('../src/keystone/real.ts');
    return connectRealKeystone(opts.keystoneUrl, process.env, { trusts, note });
  }
  return startStandInEnv({ services: opts.catalogServices, trusts });
}

/** Stores the user owns must answer before anything starts: exit 2 now rather than fail every sample later. */
async function probeExternalStores(opts: BenchOptions, designs: DesignDescriptor[], keyPrefix: string) {
  const external: Partial<Record<StoreId, StoreLocation>> = {};
  if (opts.redisUrl) external.redis = { url: opts.redisUrl, keyPrefix };
  if (opts.memcachedServers) external.memcached = { servers: opts.memcachedServers, keyPrefix };
  const stores: Meta['stores'] = {};
  for (const id of new Set(designs.flatMap((d) => d.needs))) {
    const loc = external[id];
    if (!loc) continue;
    try {
      stores[id] = { kind: 'external', version: await storeDriver(id).version(loc, 3000) };
    } catch (err) {
      const flag = id === 'redis' ? `--redis-url ${opts.redisUrl}` : `--memcached-servers ${opts.memcachedServers!.join(',')}`;
      throw new UsageError(`${flag} does not answer: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { external, stores };
}

/**
 * Enough warm-up creations that every code path has run and the pools are open before the first reading. Python
 * has no JIT to wait for, and the memory its warm-up frees stays in the process (pymalloc, glibc) to be reused by
 * the first entries, which would hold RSS flat at the start of the ladder: a few creations only.
 */
const defaultWarmup = (opts: BenchOptions) => (d: DesignDescriptor) =>
  opts.warmup ?? (d.runtime === 'python' ? 10 : 500);

/** The whole run for `argv`; exported so tests can check its usage errors in-process (through runMain). */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const opts = parseBenchArgs(argv);
  if (opts === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  // From here on Ctrl-C/SIGTERM kill the children at once (processes.ts) and make the run stop at the next step;
  // a second signal exits immediately. Installed first, so no step runs with the default "die now" handler.
  let stop = false;
  let progress: Progress | undefined;
  const removeInterrupt = onInterrupt((sig) => {
    stop = true;
    const text = `${sig}: stopping; keeping the samples measured so far`;
    if (progress) progress.note(text);
    else process.stderr.write(`${text}\n`);
  });
  const jsonPath = join(opts.out, `${opts.name}.json`);
  const partialPath = join(opts.out, `${opts.name}.partial.json`);
  const tallies = new Map<string, DesignTally>();
  const interruptedExit = () => {
    const saved = [...tallies.values()].some((t) => t.samples.length || t.failures.length);
    process.stderr.write(`interrupted: ${saved ? `partial results in ${partialPath}` : 'no sample completed'}; ${jsonPath} was not changed\n`);
    return exitCodeFor(interruptedBy() ?? 'SIGINT');
  };
  const cleanup: Array<() => void> = [];
  try {
    return await measure(opts, argv, tallies, jsonPath, partialPath, () => stop, (p) => (progress = p), interruptedExit, cleanup);
  } catch (err) {
    // Whatever a signal broke on its way out (a store server killed while starting, a design module's describing
    // child killed, a closed socket) is neither a bug nor the user's mistake: the run was interrupted.
    if (interruptedBy()) return interruptedExit();
    throw err;
  } finally {
    for (const c of cleanup) c();
    removeInterrupt();
  }
}

async function measure(
  opts: BenchOptions, argv: string[], tallies: Map<string, DesignTally>, jsonPath: string, partialPath: string,
  stopped: () => boolean, setProgress: (p: Progress) => void, interruptedExit: () => number, cleanup: Array<() => void>,
): Promise<number> {
  const startedAt = new Date();
  const phases: Record<string, number> = {};
  const phase = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await f();
    } finally {
      phases[name] = (phases[name] ?? 0) + Date.now() - t0;
    }
  };
  const baseline = opts.baseline ? readResults(opts.baseline) : undefined;
  const { designs: all, unavailable, known } = await phase('load designs', () => loadDesigns(opts.designModules, BUILTIN_MODULES, opts.designs));
  const chosen = checkDesigns(opts, all, unavailable, known);
  const limits = oldSpaceLimits(opts.workerMaxOldSpace, chosen.map((d) => d.id));
  const listed = opts.designs ?? [...chosen.map((d) => d.id), ...unavailable.keys()];
  const keyPrefix = runKeyPrefix();
  const { external, stores } = await probeExternalStores(opts, chosen, keyPrefix);
  // every input checked: from here on the run owns --out (a second run into it is refused until this one ends)
  cleanup.push(lockOutDir(opts.out));
  const sizesOf = (d: DesignDescriptor) => sweepSizes(maxsizeFor(opts, d), stepsFor(opts, d));
  const warmup = defaultWarmup(opts);

  const current = createProgress({ quiet: opts.quiet, jobs: opts.jobs, entries: (r) => runEntries(r, warmup(all.find((d) => d.id === r.design)!)) });
  setProgress(current);
  for (const [id, note] of unavailable) if (listed.includes(id)) current.note(`${id}: unavailable — ${note}`);
  if (stopped()) return interruptedExit();
  const keystone = await phase('start keystone', () => openKeystone(opts, opts.maxsize + 1, (t) => current.note(t)));
  // the in-process token path when asked for and offered (a stand-in not told to misbehave by a test)
  const inProcess = opts.tokenPath === 'in-process' ? keystone.inProcess : undefined;
  let latency: LatencyResult[] | undefined;
  let notifier: NotifierBaseline | undefined;

  const meta = (partial: boolean): Meta => ({
    ...baseMeta(argv, startedAt),
    durationMs: Date.now() - startedAt.getTime(),
    sizes: sweepSizes(opts.maxsize, opts.steps ?? 9),
    protocol: opts.protocol,
    jobs: opts.jobs,
    warmup: opts.warmup,
    phases,
    workerFlags: WORKER_NODE_FLAGS,
    workerEnv: WORKER_NODE_ENV,
    trials: opts.trials,
    keystone: {
      kind: keystone.kind, url: keystone.url, version: keystone.version, catalogServices: keystone.catalogServices,
      tokenPath: inProcess ? 'in-process' : 'http', ...(keystone.server ? { server: keystone.server } : {}),
    },
    stores,
    ...(partial ? { partial: true } : {}),
  });
  const notReached = 'not measured: the run was interrupted first';
  const results = (partial: boolean): Results => assembleResults(meta(partial), listed.map((id) => {
    const d = all.find((x) => x.id === id);
    const fallback = { id, title: id, runtime: 'node' as const, topology: 'per-worker' as const, needs: [] };
    // not reached: no sample finished or failed (a run the signal stopped is not the design's failure)
    const t = tallies.get(id);
    const why = unavailable.get(id) ?? (partial && !(t?.samples.length || t?.failures.length) ? notReached : undefined);
    return designResult(d ?? fallback, d ? sizesOf(d) : [], tallies.get(id), why);
  }), latency, notifier);
  // Whatever ends the run early, the samples already taken are kept — in a separate file, so the previous
  // complete results are never replaced by an incomplete run.
  let finished = false;
  const savePartial = () => {
    if (!finished && [...tallies.values()].some((t) => t.samples.length || t.failures.length)) {
      writeFileAtomic(partialPath, `${JSON.stringify(results(true), null, 2)}\n`);
    }
  };
  const removeExitHook = onHarnessExit(savePartial);

  try {
    for (const id of new Set(chosen.flatMap((d) => d.needs))) {
      if (!stores[id]) stores[id] = { kind: 'private', version: 'unknown' };
    }
    const { analyseSnapshotInChild } = await import('../src/snapshot/in-child.ts');
    await phase('measure memory', () => runCampaign(chosen.map((d) => ({ descriptor: d, sizes: sizesOf(d) })), keystone, {
      protocol: opts.protocol,
      seed: opts.seed,
      trials: { min: opts.minTrials, max: opts.trials, targetRelHalfWidth: opts.targetCi },
      concurrency: opts.concurrency,
      jobs: opts.jobs,
      timeoutS: opts.timeoutS,
      keystoneTimeoutMs: opts.keystoneTimeoutS * 1000,
      keystoneRetries: 2,
      ...(inProcess ? { inProcess } : {}),
      warmup,
      externalStores: external,
      keyPrefix,
      workerMaxOldSpaceMb: limits,
      trace: opts.pythonTracemalloc,
      ...(opts.snapshotN > 0 ? { snapshot: { n: opts.snapshotN, analyse: analyseSnapshotInChild } } : {}),
      shouldStop: stopped,
      onStoreVersion: (id, version) => (stores[id] = { kind: 'private', version }),
      onPlan: (runs) => current.plan(runs),
      onStart: (r) => current.start(r),
      onDone: (r, o, ms) => current.done(r, !o.failure, ms, o.failure?.reason),
      note: (t) => current.note(t),
    }, tallies));
    // The real notifier as the no-cache baseline, when Aodh is installed: a design that requires Aodh's modules ran
    if (!stopped() && opts.latency && chosen.some((d) => d.requires?.some((m) => m.startsWith('aodh')) && (tallies.get(d.id)?.samples.length ?? 0) > 0)) {
      const { measureNotifier } = await import('../src/latency/notifier.ts');
      try {
        notifier = await phase('aodh notifier', () => measureNotifier(keystone));
      } catch (err) {
        if (!stopped()) current.note(redact(`aodh notifier baseline: not measured: ${(err as Error).message.split('\n')[0]}`));
      }
    }
    // Latency only for designs that produced a sample: with a broken Keystone or store it would only time out.
    const measured = chosen.filter((d) => (tallies.get(d.id)?.samples.length ?? 0) > 0);
    if (!stopped() && opts.latency && measured.length) {
      const { runLatency } = await import('../src/latency/run.ts');
      try {
        latency = await phase('latency', () => runLatency(keystone, measured, {
          externalStores: external, keyPrefix, timeoutMs: opts.keystoneTimeoutS * 1000, retries: 2, note: (t) => current.note(t),
        }));
      } catch (err) {
        if (!stopped()) current.note(redact(`latency: not measured: ${(err as Error).message.split('\n')[0]}`));
      }
    }
  } finally {
    current.finish();
    await keystone.close();
    stopPidusage();
  }

  const final = results(false);
  // The statistics above ran without a break: a signal that came meanwhile is handled now, before anything replaces
  // the previous results.
  await new Promise((r) => setImmediate(r));
  if (stopped() || interruptedBy()) {
    savePartial();
    finished = true;
    return interruptedExit();
  }
  // the analysis compared each node design's heap slope with its snapshot: say so when they disagree
  for (const d of final.designs) {
    const diff = d.snapshot?.relativeDifference;
    if (!opts.quiet && diff !== undefined && Math.abs(diff) > 0.1) {
      process.stderr.write(`warning: ${d.id}: heapUsed slope and heap-snapshot retained size differ by ${(diff * 100).toFixed(0)} % (see "Cross-check" in the summary)\n`);
    }
  }
  final.model = tokenModelSection(final);
  const written = [jsonPath];
  await phase('write results', async () => {
    markOutDir(opts.out);
    writeFileAtomic(jsonPath, `${JSON.stringify(final, null, 2)}\n`);
    finished = true;
    removeExitHook();
    // A partial file from an earlier interrupted run is older than these results: do not leave it next to them.
    rmSync(partialPath, { force: true });
    if (opts.report) written.push(...(await writeReport(final, opts.out)));
    else {
      for (const [file, text] of [['summary.md', summaryMarkdown(final)], ['samples.csv', samplesCsv(final)]]) {
        writeFileAtomic(join(opts.out, file), text);
        written.push(join(opts.out, file));
      }
    }
  });
  if (opts.json) process.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
  else process.stdout.write(`\n${summaryMarkdown(final)}\n`);
  if (baseline) {
    const { compareResults, renderComparison } = await import('../src/compare/index.ts');
    process.stderr.write(`\ncompared with ${opts.baseline}:\n${renderComparison(compareResults(baseline, final, {}), 'table')}\n`);
  }
  if (!opts.quiet) process.stderr.write(`wrote ${written.length} files to ${opts.out} in ${Math.round(final.meta.durationMs / 1000)} s\n`);
  // Say what failed, per design, even with --quiet: exit code 1 alone does not tell which numbers are missing.
  const failed = final.designs.filter((d) => d.failures.length);
  for (const d of failed) {
    const reasons = [...new Set(d.failures.map((f) => f.reason))].slice(0, 2).join('; ');
    process.stderr.write(redact(`${d.id}: ${d.failures.length} worker run(s) failed (status ${d.status}): ${reasons}\n`));
  }
  if (failed.length) process.stderr.write(`see "Failed samples" in ${join(opts.out, 'summary.md')}\n`);
  return failed.length ? 1 : 0;
}

// Run only as the entry script (`node --import tsx bench/cli.ts`), not when a test imports main().
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runMain(() => main());
