// The bench command's last phase: the results file, the report's files, and what the terminal is told.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tokenModelSection } from '../../model/results-model.ts';
import type { Results } from '../../results/schema.ts';
import { writeFileAtomic } from '../../results/write.ts';
import { writeReport } from '../../report/index.ts';
import { markOutDir } from '../../cli/out-dir.ts';
import { decisionTerminalText, summaryMarkdown } from '../../report/markdown.ts';
import type { ReportOptions } from '../../report/view.ts';
import { keystoneLoadBeside, readKeystoneCpu } from '../../results/keystone-load.ts';
import { errorLine } from '../../util/text.ts';
import { redact } from '../../util/redact.ts';
import { timed, type Run } from './run.ts';

/**
 * Writes `<out>/<name>.json` (then `written()`: the partial file's exit hook is no longer needed), removes a stale
 * partial file, and writes the report. Returns the paths written.
 */
export async function writeOutputs(run: Run, final: Results, reportOpts: ReportOptions, jsonPath: string, partialPath: string, written: () => void): Promise<string[]> {
  // the analysis compared each node design's heap slope with its snapshot: say so when they disagree
  for (const d of final.designs) {
    const diff = d.snapshot?.relativeDifference;
    if (!run.opts.quiet && diff !== undefined && Math.abs(diff) > 0.1) {
      process.stderr.write(`warning: ${d.id}: heapUsed slope and heap-snapshot retained size differ by ${(diff * 100).toFixed(0)} % (see "Cross-check" in the summary)\n`);
    }
  }
  final.model = tokenModelSection(final);
  return timed(run.phases, 'write results', async () => {
    markOutDir(run.opts.out);
    writeFileAtomic(jsonPath, `${JSON.stringify(final, null, 2)}\n`);
    written();
    // A partial file from an earlier interrupted run is older than these results: do not leave it next to them.
    rmSync(partialPath, { force: true });
    return [jsonPath, ...(await writeReport(final, run.opts.out, { ...reportOpts, charts: run.opts.report }))];
  });
}

/**
 * Keystone's CPU per operation, when keystone-load results lie beside these: the decision then gives Keystone cores.
 * An unreadable file costs only that figure.
 */
export function keystoneOpts(run: Run, jsonPath: string): ReportOptions {
  try {
    const keystone = readKeystoneCpu(keystoneLoadBeside(jsonPath));
    return keystone ? { keystone } : {};
  } catch (err) {
    if (!run.opts.quiet) process.stderr.write(`warning: ${errorLine(err)} (the decision leaves Keystone cores out)\n`);
    return {};
  }
}

/** The summary (or the JSON) on stdout, a comparison with --baseline, what failed; the exit code. */
export async function printOutcome(run: Run, final: Results, reportOpts: ReportOptions, written: string[]): Promise<number> {
  const { opts } = run;
  if (opts.json) process.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
  // the summary opens with the decision and the terminal ends with it, where a reader's eye lands after a run
  else process.stdout.write(`\n${summaryMarkdown(final, reportOpts)}\n${decisionTerminalText(final, reportOpts)}`);
  if (run.baseline) {
    const { compareResults, renderComparison } = await import('../../compare/index.ts');
    process.stderr.write(`\ncompared with ${opts.baseline}:\n${renderComparison(compareResults(run.baseline, final, {}), 'table')}\n`);
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
