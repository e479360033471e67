// `npm run bench`: CLI → plan → one fresh worker per sample → statistics → results JSON → exporters/report.
// This file only wires the steps together; each step lives in src/.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { HELP, parseBenchArgs, type BenchOptions } from '../src/cli/args.ts';
import { runMain, UsageError } from '../src/cli/errors.ts';
import { createProgress, type Progress } from '../src/cli/progress.ts';
import { designById } from '../src/designs/index.ts';
import { runCampaign, runKeyPrefix, type DesignTally } from '../src/measure/campaign.ts';
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
import { tokenModelSection } from '../src/model/results-model.ts';
import { exitCodeFor, interruptedBy, onHarnessExit, onInterrupt } from '../src/util/processes.ts';
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

async function openKeystone(opts: BenchOptions, trusts: number, note: (text: string) => void): Promise<KeystoneEnv> {
  if (opts.keystoneUrl) {
    const { connectRealKeystone } = await import('../src/keystone/real.ts');
    return connectRealKeystone(opts.keystoneUrl, process.env, { trusts, note });
  }
  return startStandInEnv({ services: opts.catalogServices, trusts });
}

/** An existing Redis must answer before anything starts: exit 2 now rather than fail every Redis sample later. */
async function probeExternalRedis(url: string): Promise<string> {
  const { connectRedis, redisVersion } = await import('../src/redis/client.ts');
  try {
    const client = await connectRedis({ url });
    try {
      return await redisVersion(client);
    } finally {
      client.destroy();
    }
  } catch (err) {
    throw new UsageError(`--redis-url ${url} does not answer: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const opts = parseBenchArgs(argv);
  if (opts === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  // From here on Ctrl-C/SIGTERM kill the children at once (processes.ts) and make the run stop at the next step;
  // a second signal exits immediately. Installed first, so no step runs with the default "die now" handler.
  let stop = false;
  let progress: Progress | undefined;
  onInterrupt((sig) => {
    stop = true;
    const text = `${sig}: stopping; keeping the samples measured so far`;
    if (progress) progress.note(text);
    else process.stderr.write(`${text}\n`);
  });
  const jsonPath = join(opts.out, `${opts.name}.json`);
  const partialPath = join(opts.out, `${opts.name}.partial.json`);
  const tallies = new Map<string, DesignTally>();
  const interruptedExit = () => {
    // the partial file is written by measure(), or by the exit hook when an error ended the run
    const saved = [...tallies.values()].some((t) => t.samples.length || t.failures.length);
    process.stderr.write(`interrupted: ${saved ? `partial results in ${partialPath}` : 'no sample completed'}; ${jsonPath} was not changed\n`);
    return exitCodeFor(interruptedBy() ?? 'SIGINT');
  };
  try {
    return await measure(opts, argv, tallies, jsonPath, partialPath, () => stop, (p) => (progress = p), interruptedExit);
  } catch (err) {
    // Whatever a signal broke on its way out (a redis-server killed while starting, a closed socket) is not a bug.
    if (interruptedBy() && !(err instanceof UsageError)) return interruptedExit();
    throw err;
  }
}

async function measure(
  opts: BenchOptions, argv: string[], tallies: Map<string, DesignTally>, jsonPath: string, partialPath: string,
  stopped: () => boolean, setProgress: (p: Progress) => void, interruptedExit: () => number,
): Promise<number> {
  const startedAt = new Date();
  const unavailable = await availability(opts);
  const runnable = opts.designs.filter((id) => !unavailable.has(id));
  const sizesOf = (id: string) => sweepSizes(designById(id)!.runtime === 'python' ? opts.pythonMaxsize : opts.maxsize, opts.steps);
  const plan = buildPlan(runnable.map((id) => ({ id, sizes: sizesOf(id) })), opts.trials, opts.seed);
  const needsRedis = runnable.some((id) => designById(id)!.needsRedis);
  let redisVersion = needsRedis && opts.redisUrl ? await probeExternalRedis(opts.redisUrl) : 'not used';
  // One prefix for the whole run on an existing Redis: samples and latency tasks delete exactly these keys.
  const redisKeyPrefix = runKeyPrefix();

  const progress = createProgress(plan.length, { quiet: opts.quiet });
  setProgress(progress);
  for (const [id, note] of unavailable) progress.note(`${id}: unavailable — ${note}`);
  if (stopped()) return interruptedExit();
  const keystone = await openKeystone(opts, opts.maxsize + 1, (t) => progress.note(t));
  let latency: LatencyResult[] | undefined;

  const meta = (partial: boolean): Meta => ({
    ...baseMeta(argv, startedAt),
    durationMs: Date.now() - startedAt.getTime(),
    sizes: sweepSizes(opts.maxsize, opts.steps),
    workerFlags: WORKER_NODE_FLAGS,
    trials: opts.trials,
    keystone: { kind: keystone.kind, url: keystone.url, version: keystone.version, catalogServices: keystone.catalogServices, ...(keystone.server ? { server: keystone.server } : {}) },
    redis: { kind: opts.redisUrl ? 'external' : 'private', version: redisVersion },
    ...(partial ? { partial: true } : {}),
  });
  const notReached = 'not measured: the run was interrupted first';
  const results = (partial: boolean): Results =>
    assembleResults(meta(partial), opts.designs.map((id) =>
      designResult(id, tallies.get(id), unavailable.get(id) ?? (partial && !tallies.has(id) ? notReached : undefined))), latency);
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
    if (needsRedis && !opts.redisUrl) {
      const { probeRedisVersion } = await import('../src/redis/probe.ts');
      redisVersion = await probeRedisVersion();
    }
    const python = runnable.some((id) => designById(id)!.runtime === 'python') ? await import('../src/designs/python/runner.ts') : undefined;
    const runPython = python && ((job: Parameters<typeof python.runPythonSample>[0]) => python.runPythonSample({ ...job, trace: opts.pythonTracemalloc }));
    await runCampaign(plan, keystone, {
      concurrency: opts.concurrency,
      timeoutS: opts.timeoutS,
      keystoneTimeoutMs: opts.keystoneTimeoutS * 1000,
      redisUrl: opts.redisUrl,
      redisKeyPrefix,
      workerMaxOldSpaceMb: opts.workerMaxOldSpaceMb,
      runPython,
      shouldStop: stopped,
      onStart: (s) => progress.start(`${s.design} n=${s.n} trial ${s.trial}`),
      onDone: (s, o) => progress.done(`${s.design} n=${s.n} trial ${s.trial}`, o.ok, o.ok ? `${Math.round((o.sample.buildMs ?? 0) / 100) / 10}s` : o.failure.reason),
    }, tallies);
    // Latency only for designs that produced a sample: with a broken Keystone or Redis it would only time out.
    const measured = runnable.filter((id) => (tallies.get(id)?.samples.length ?? 0) > 0);
    if (!stopped() && opts.latency && measured.length) {
      const { runLatency } = await import('../src/latency/run.ts');
      try {
        latency = await runLatency(keystone, measured, { redisUrl: opts.redisUrl, redisKeyPrefix, note: (t) => progress.note(t) });
      } catch (err) {
        if (!stopped()) progress.note(redact(`latency: not measured: ${(err as Error).message.split('\n')[0]}`));
      }
    }
  } finally {
    progress.finish();
    await keystone.close();
    stopPidusage();
  }

  if (stopped() || interruptedBy()) {
    savePartial();
    finished = true;
    return interruptedExit();
  }
  const final = results(false);
  final.model = tokenModelSection(final);
  writeFileAtomic(jsonPath, `${JSON.stringify(final, null, 2)}\n`);
  finished = true;
  removeExitHook();
  // A partial file from an earlier interrupted run is older than these results: do not leave it next to them.
  rmSync(partialPath, { force: true });
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
  // Say what failed, per design, even with --quiet: exit code 1 alone does not tell which numbers are missing.
  const failed = final.designs.filter((d) => d.failures.length);
  for (const d of failed) {
    const reasons = [...new Set(d.failures.map((f) => f.reason))].slice(0, 2).join('; ');
    process.stderr.write(redact(`${d.id}: ${d.failures.length} of ${d.failures.length + d.samples.length} samples failed (status ${d.status}): ${reasons}\n`));
  }
  if (failed.length) process.stderr.write(`see "Failed samples" in ${join(opts.out, 'summary.md')}\n`);
  return failed.length ? 1 : 0;
}

await runMain(main);
