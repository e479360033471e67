// The report command: re-renders every exporter's files from an existing results file, measuring nothing. A bad
// file or flag exits 2 with one line and writes nothing.
import { checkOutDir, markOutDir } from '../cli/out-dir.ts';
import { lockOutDir } from '../cli/out-lock.ts';
import { parseFlags } from '../cli/flags.ts';
import { readResults } from '../results/read.ts';
import { exportedFiles } from '../report/exporters.ts';
import { writeReport } from '../report/index.ts';
import { summaryTerminal } from '../report/markdown.ts';
import { keystoneLoadBeside, readKeystoneCpu } from '../results/keystone-load.ts';

export const REPORT_HELP = `Usage: npm run report -- [--in FILE] [--out DIR]

Re-renders the report from an existing results file (nothing is measured). When keystone-load results lie
beside it (DIR-of-FILE/keystone-load/latest.json), the decision also gives Keystone cores per design.

  --in FILE   results JSON to read (default: results/latest.json)
  --out DIR   where ${exportedFiles()} go (default: results/)
  -h, --help  show this help
`;

export async function reportMain(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    in: { type: 'string', default: 'results/latest.json' },
    out: { type: 'string', default: 'results/' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  const out = checkOutDir(values.out);
  const results = readResults(values.in);
  const keystone = readKeystoneCpu(keystoneLoadBeside(values.in));
  const opts = keystone ? { keystone } : {};
  const release = lockOutDir(out);
  let written: string[];
  try {
    markOutDir(out);
    written = await writeReport(results, out, opts);
  } finally {
    release();
  }
  process.stdout.write(summaryTerminal(results, opts));
  process.stdout.write(`wrote ${written.length} files to ${values.out}\n${written.map((p) => `  ${p}`).join('\n')}\n`);
  return 0;
}
