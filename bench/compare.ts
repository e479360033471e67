// npm run compare -- OLD.json NEW.json [--threshold PCT] [--fail-on-regression PCT] [--markdown | --json]
// Compares the per-object figures of two results files. Exit 0 compared, 1 a figure regressed beyond
// --fail-on-regression, 2 bad input (one line on stderr).
import { COMPARE_HELP, parseCompareArgs } from '../src/cli/compare-args.ts';
import { runMain } from '../src/cli/errors.ts';
import { readResults } from '../src/results/read.ts';
import { compareResults, regressions, renderComparison } from '../src/compare/index.ts';
import { pctText } from '../src/compare/render-cells.ts';

async function main(): Promise<number> {
  const args = parseCompareArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(COMPARE_HELP);
    return 0;
  }
  const old = readResults(args.oldPath);
  const next = readResults(args.newPath);
  const comparison = compareResults(old, next, { thresholdPct: args.thresholdPct, oldLabel: args.oldPath, newLabel: args.newPath });
  process.stdout.write(renderComparison(comparison, args.format));

  if (args.failOnRegressionPct === undefined) return 0;
  const bad = regressions(comparison, args.failOnRegressionPct);
  for (const r of bad) {
    const by = r.changePct === undefined ? 'significantly' : `${pctText(r.changePct)} %`;
    process.stderr.write(`regression: ${r.design} ${r.metric} ${by} (more than ${args.failOnRegressionPct} % worse)\n`);
  }
  return bad.length ? 1 : 0;
}

await runMain(main);
