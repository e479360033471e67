// Flags of `npm run compare`, parsed apart from the entry script so tests can check every refusal in-process.
import { UsageError } from './errors.ts';
import { num, parseFlags } from './flags.ts';

export type CompareFormat = 'table' | 'markdown' | 'json';

export interface CompareArgs {
  help: boolean;
  oldPath: string;
  newPath: string;
  thresholdPct: number;
  /** undefined: never exit 1 for a regression */
  failOnRegressionPct?: number;
  format: CompareFormat;
}

export const COMPARE_HELP = `Usage: npm run compare -- OLD.json NEW.json [options]

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

export function parseCompareArgs(argv: string[]): CompareArgs {
  const parsed = parseFlags(argv, {
    threshold: { type: 'string' },
    'fail-on-regression': { type: 'string' },
    markdown: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  }, true);
  const { values, positionals } = parsed;
  if (values.help) return { help: true, oldPath: '', newPath: '', thresholdPct: 1, format: 'table' };
  if (positionals.length !== 2) throw new UsageError(`needs two results files, OLD.json and NEW.json (got ${positionals.length}; see --help)`);
  if (values.markdown && values.json) throw new UsageError('--markdown and --json exclude each other');
  return {
    help: false,
    oldPath: positionals[0],
    newPath: positionals[1],
    thresholdPct: percent('threshold', values.threshold) ?? 1,
    failOnRegressionPct: percent('fail-on-regression', values['fail-on-regression']),
    format: values.json ? 'json' : values.markdown ? 'markdown' : 'table',
  };
}
