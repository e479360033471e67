// npm run report -- [--in results/latest.json] [--out results/]
// Re-renders charts, index.html, README.md, summary.md and samples.csv from an existing results file,
// without measuring anything. A bad file or flag exits 2 with one line and writes nothing.
import { runMain } from '../src/cli/errors.ts';
import { parseFlags } from '../src/cli/flags.ts';
import { checkOutDir, markOutDir } from '../src/cli/out-dir.ts';
import { lockOutDir } from '../src/cli/out-lock.ts';
import { readResults } from '../src/results/read.ts';
import { writeReport } from '../src/report/index.ts';
import { summaryTerminal } from '../src/report/markdown.ts';

const HELP = `Usage: npm run report -- [--in FILE] [--out DIR]

Re-renders the report from an existing results file (nothing is measured).

  --in FILE   results JSON to read (default: results/latest.json)
  --out DIR   where charts/, index.html, README.md, summary.md, samples.csv go (default: results/)
  -h, --help  show this help
`;

async function main(): Promise<number> {
  const { values } = parseFlags(process.argv.slice(2), {
    in: { type: 'string', default: 'results/latest.json' },
    out: { type: 'string', default: 'results/' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const out = checkOutDir(values.out);
  const results = readResults(values.in);
  const release = lockOutDir(out);
  let written: string[];
  try {
    markOutDir(out);
    written = await writeReport(results, out);
  } finally {
    release();
  }
  process.stdout.write(summaryTerminal(results));
  process.stdout.write(`wrote ${written.length} files to ${values.out}\n${written.map((p) => `  ${p}`).join('\n')}\n`);
  return 0;
}

await runMain(main);
