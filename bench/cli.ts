// `npm run bench`: CLI → plan → one fresh worker per sample → statistics → results JSON → exporters/report.
// This file only wires the steps together; each step lives in src/.
import { join } from 'node:path';
import { HELP, parseBenchArgs, type BenchOptions } from '../src/cli/args.ts';
import { runMain } from '../src/cli/errors.ts';
import { createProgress } from '../src/cli/progress.ts';
import { designById } from '../src/designs/index.ts';
import { runCampaign, type DesignTally } from '../src/measure/campaign.ts';
import { startStandInEnv, type KeystoneEnv } from '../src/measure/keystone-env.ts';
import { buildPlan, sweepSizes } from '../src/measure/plan.ts';
import { stopPidusage, WORKER_NODE_FLAGS } from '../src/measure/runner.ts';
import { assembleResults, designResult } from '../src/results/assemble.ts';
import { baseMeta } from '../src/results/meta.ts';
import type { LatencyResult, Meta, Results } from '../src/results/schema.ts';
import { writeFileAtomic } from '../src/results/write.ts';
import { summaryMarkdown } from '../src/export/markdown.ts';
import { samplesCsv } from '../src/export/csv.ts';
import { writeReport } from '../src/report/index.ts';
import { interruptedBy, onHarnessExit, onInterrupt } from '../src/util/processes.ts';
import { redact } from '../src/util/redact.ts';

async function availability(opts: BenchOptions): Promise<Map<string, string>> {
  const unavailable = new Map<string, string>();
  const python = opts.designs.filter((id) => designById(id)!.runtime === 'python');
  if (python.length) {
    const { pythonAvailability } = await import('../src/designs/python/runner.ts');
    const a = await pythonAvailability();
    if (!a.ok) for (const id of python) unavailable.set(id, a.note);
  }
  return unavailable;
}

async function openKeystone(opts: BenchOptions, trusts: number): Promise<KeystoneEnv> {
  if (opts.keystoneUrl) {
    const { connectRealKeystone } = await import('../src/keystone/real.ts');
    return connectRealKeystone(opts.keystoneUrl, process.env);
  }
  return startStandInEnv({ services: opts.catalogServices, trusts });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const opts = parseBenchArgs(argv);
  if (opts === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const startedAt = new Date();
  const unavailable = await availability(opts);
  const runnable = opts.designs.filter((id) => !unavailable.has(id));
  const sizesOf = (id: string) => sweepSizes(designById(id)!.runtime === 'python' ? opts.pythonMaxsize : opts.maxsize, opts.steps);
  const plan = buildPlan(runnable.map((id) => ({ id, sizes: sizesOf(id) })), opts.trials, opts.seed);

  const progress = createProgress(plan.length, { quiet: opts.quiet });
  for (const [id, note] of unavailable) progress.note(`${id}: unavailable — ${note}`);
  const keystone = await openKeystone(opts, opts.maxsize + 1);
  const tallies = new Map<string, DesignTally>();
  let latency: LatencyResult[] | undefined;
  let redisVersion = 'not used';

  const meta = (partial: boolean): Meta => ({
    ...baseMeta(argv, startedAt),
    durationMs: Date.now() - startedAt.getTime(),
    sizes: sweepSizes(opts.maxsize, opts.steps),
    workerFlags: WORKER_NODE_FLAGS,
    trials: opts.trials,
    keystone: { kind: keystone.kind, url: keystone.url, version: keystone.version, catalogServices: keystone.catalogServices },
    redis: { kind: opts.redisUrl ? 'external' : 'private', version: redisVersion },
    ...(partial ? { partial: true } : {}),
  });
  const results = (partial: boolean): Results =>
    assembleResults(meta(partial), opts.designs.map((id) => designResult(id, tallies.get(id), unavailable.get(id))), latency);
  const jsonPath = join(opts.out, `${opts.name}.json`);
  const partialPath = join(opts.out, `${opts.name}.partial.json`);
  // Whatever ends the run early, the samples already taken are kept — in a separate file, so the previous
  // complete results are never replaced by an incomplete run.
  let finished = false;
  const savePartial = () => {
    if (!finished && [...tallies.values()].some((t) => t.samples.length || t.failures.length)) {
      writeFileAtomic(partialPath, `${JSON.stringify(results(true), null, 2)}\n`);
    }
  };
  const removeExitHook = onHarnessExit(savePartial);
  let stop = false;
  onInterrupt((sig) => {
    stop = true;
    progress.note(`${sig}: stopping; keeping the samples measured so far`);
  });

  try {
    if (runnable.some((id) => designById(id)!.needsRedis) && !opts.redisUrl) {
      const { probeRedisVersion } = await import('../src/redis/probe.ts');
      redisVersion = await probeRedisVersion();
    }
    const python = runnable.some((id) => designById(id)!.runtime === 'python') ? await import('../src/designs/python/runner.ts') : undefined;
    const runPython = python && ((job: Parameters<typeof python.runPythonSample>[0]) => python.runPythonSample({ ...job, trace: opts.pythonTracemalloc }));
    const campaign = await runCampaign(plan, keystone, {
      concurrency: opts.concurrency,
      timeoutS: opts.timeoutS,
      redisUrl: opts.redisUrl,
      workerMaxOldSpaceMb: opts.workerMaxOldSpaceMb,
      runPython,
      shouldStop: () => stop,
      onStart: (s) => progress.start(`${s.design} n=${s.n} trial ${s.trial}`),
      onDone: (s, o) => progress.done(`${s.design} n=${s.n} trial ${s.trial}`, o.ok, o.ok ? `${Math.round((o.sample.buildMs ?? 0) / 100) / 10}s` : o.failure.reason),
    });
    for (const [id, t] of campaign) tallies.set(id, t);
    if (!stop && opts.latency) {
      const { runLatency } = await import('../src/latency/run.ts');
      latency = await runLatency(keystone, runnable, { redisUrl: opts.redisUrl, note: (t) => progress.note(t) });
    }
  } finally {
    progress.finish();
    await keystone.close();
    stopPidusage();
  }

  if (stop || interruptedBy()) {
    savePartial();
    finished = true;
    process.stderr.write(`interrupted: partial results in ${partialPath}; ${jsonPath} was not changed\n`);
    return 130;
  }
  const final = results(false);
  writeFileAtomic(jsonPath, `${JSON.stringify(final, null, 2)}\n`);
  finished = true;
  removeExitHook();
  const written = [jsonPath];
  if (opts.report) written.push(...(await writeReport(final, opts.out)));
  else {
    for (const [file, text] of [['summary.md', summaryMarkdown(final)], ['samples.csv', samplesCsv(final)]]) {
      writeFileAtomic(join(opts.out, file), text);
      written.push(join(opts.out, file));
    }
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
  else process.stdout.write(`\n${summaryMarkdown(final)}\n`);
  if (!opts.quiet) process.stderr.write(`wrote ${written.length} files to ${opts.out} in ${Math.round(final.meta.durationMs / 1000)} s\n`);
  const failures = final.designs.reduce((a, d) => a + d.failures.length, 0);
  if (failures) process.stderr.write(redact(`${failures} sample(s) failed; see "Failed samples" in the summary\n`));
  return failures ? 1 : 0;
}

await runMain(main);
