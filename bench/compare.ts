// npm run compare -- OLD.json NEW.json [--threshold PCT] [--fail-on-regression PCT] [--markdown | --json]
// Compares the per-object figures of two results files. Exit 0 compared, 1 a figure regressed beyond
// --fail-on-regression, 2 bad input (one line on stderr).
import { parseArgs } from 'node:util';
import { UsageError, runMain } from '../src/cli/errors.ts';
import { num } from '../src/cli/flags.ts';
import { readResults } from '../src/results/read.ts';
import { compareResults, regressions, renderComparison, type ComparisonFormat } from '../src/compare/index.ts';
import { pctText } from '../src/compare/render-cells.ts';

const HELP = `Usage: npm run compare -- OLD.json NEW.json [options]

Compares the per-object cost of every design and metric in two results files (lower is better).

  --threshold PCT            noise threshold in percent: a significant change whose 95 % CI reaches inside
                             ±PCT is reported as no significant change (default 1)
  --fail-on-regression PCT   exit 1 when a figure got significantly worse by more than PCT percent
  --markdown                 print a Markdown table instead of the terminal table
  --json                     print the comparison as JSON
  -h, --help                 show this help

Exit codes: 0 compared, 1 regression beyond --fail-on-regression, 2 bad input.
`;

function percent(flag: string, raw: string | undefined): number | undefined {
  const v = num(flag, raw);
  if (v !== undefined && !(v >= 0 && Number.isFinite(v))) throw new UsageError(`--${flag} needs a percentage ≥ 0 (got "${raw}")`);
  return v;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      options: {
        threshold: { type: 'string' },
        'fail-on-regression': { type: 'string' },
        markdown: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError(`needs two results files, OLD.json and NEW.json (got ${positionals.length}; see --help)`);
  if (values.markdown && values.json) throw new UsageError('--markdown and --json exclude each other');
  const thresholdPct = percent('threshold', values.threshold) ?? 1;
  const failPct = percent('fail-on-regression', values['fail-on-regression']);
  const format: ComparisonFormat = values.json ? 'json' : values.markdown ? 'markdown' : 'table';

  const [oldPath, newPath] = positionals;
  const old = readResults(oldPath);
  const next = readResults(newPath);
  const comparison = compareResults(old, next, { thresholdPct, oldLabel: oldPath, newLabel: newPath });
  process.stdout.write(renderComparison(comparison, format));

  if (failPct === undefined) return 0;
  const bad = regressions(comparison, failPct);
  for (const r of bad) {
    const by = r.changePct === undefined ? 'significantly' : `${pctText(r.changePct)} %`;
    process.stderr.write(`regression: ${r.design} ${r.metric} ${by} (more than ${failPct} % worse)\n`);
  }
  return bad.length ? 1 : 0;
}

await runMain(main);
