// The bench command: load the designs, plan the run, start Keystone, measure, analyse, write. Each phase is a
// function of ./phases.ts; this file holds the order and what a signal does to it. A first Ctrl-C/SIGTERM kills
// the children at once and makes the run stop at the next step, keeping what was measured in a partial file; a
// second exits immediately.
import { join } from 'node:path';
import { HELP, parseBenchArgs } from '../../cli/args.ts';
import { createProgress, type Progress } from '../../cli/progress.ts';
import { lockOutDir } from '../../cli/out-lock.ts';
import type { DesignTally } from '../../analysis/design-result.ts';
import { exitCodeFor, interruptedBy, onHarnessExit, onInterrupt } from '../../util/processes.ts';
import { runEntries } from '../../measure/runs.ts';
import { writeFileAtomic } from '../../results/write.ts';
import { closeRun, loadAndPlan, measureExtras, measureMemory, openKeystone, probeExternalStores, resultsOf } from './phases.ts';
import type { Run } from './run.ts';
import { keystoneOpts, printOutcome, writeOutputs } from './outputs.ts';

/** The whole run for `argv`; tests call it in-process (through runMain) to check its usage errors. */
export async function benchMain(argv: string[]): Promise<number> {
  const opts = parseBenchArgs(argv);
  if (opts === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  // Installed first, so no step runs with the default "die now" handler.
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
  let run: Run | undefined;
  const cleanup: Array<() => void> = [];
  try {
    const stopped = () => stop;
    const planned = await loadAndPlan(opts, argv);
    const stores = await probeExternalStores(opts, planned.plan.designs.map((d) => d.descriptor));
    progress = createProgress({ quiet: opts.quiet, jobs: opts.jobs, entries: (r) => runEntries(r, planned.plan.designs.find((d) => d.descriptor.id === r.design)?.warmup ?? 0) });
    for (const [id, note] of planned.set.unavailable) if (planned.plan.listed.includes(id)) progress.note(`${id}: unavailable — ${note}`);
    if (stopped()) return interruptedExit();
    // every input checked: from here on the run owns --out (a second run into it is refused until this one ends)
    cleanup.push(lockOutDir(opts.out));
    run = await openKeystone(opts, argv, planned, stores, progress, tallies);
    // Whatever ends the run early, the samples already taken are kept — in a separate file, so the previous
    // complete results are never replaced by an incomplete run.
    let finished = false;
    const savePartial = () => {
      if (!finished && [...tallies.values()].some((t) => t.samples.length || t.failures.length)) {
        writeFileAtomic(partialPath, `${JSON.stringify(resultsOf(run!, true), null, 2)}\n`);
      }
    };
    const removeExitHook = onHarnessExit(savePartial);
    try {
      await measureMemory(run, stopped);
      await measureExtras(run, stopped);
    } finally {
      progress.finish();
      await closeRun(run);
    }
    if (stopped() || interruptedBy()) {
      savePartial();
      finished = true;
      return interruptedExit();
    }
    const final = resultsOf(run, false);
    // The statistics above ran without a break: a signal that came meanwhile is handled now, before anything
    // replaces the previous results.
    await new Promise((r) => setImmediate(r));
    if (interruptedBy()) {
      savePartial();
      finished = true;
      return interruptedExit();
    }
    const reportOpts = keystoneOpts(run, jsonPath);
    const written = await writeOutputs(run, final, reportOpts, jsonPath, partialPath, () => {
      finished = true;
      removeExitHook();
    });
    return printOutcome(run, final, reportOpts, written);
  } catch (err) {
    // Whatever a signal broke on its way out (a store server killed while starting, a design module's describing
    // child killed, a closed socket) is neither a bug nor the user's mistake: the run was interrupted.
    if (interruptedBy()) return interruptedExit();
    throw err;
  } finally {
    removeInterrupt();
    for (const c of cleanup) c();
  }
}
