// npm run report -- [--in results/latest.json] [--out results/]
// Re-renders charts, index.html, README.md, summary.md and samples.csv from an existing results file,
// without measuring anything. A bad file or flag exits 2 with one line and writes nothing.
import { parseArgs } from 'node:util';
import { UsageError, runMain } from '../src/cli/errors.ts';
import { checkOutDir } from '../src/cli/out-dir.ts';
import { readResults } from '../src/results/read.ts';
import { writeReport } from '../src/report/index.ts';
import { summaryTerminal } from '../src/report/markdown.ts';
import { keystoneLoadBeside, readKeystoneCpu } from '../src/results/keystone-load.ts';

const HELP = `Usage: npm run report -- [--in FILE] [--out DIR]

Re-renders the report from an existing results file (nothing is measured). When keystone-load results lie
beside it (DIR-of-FILE/keystone-load/latest.json), the decision also gives Keystone cores per design.

  --in FILE   results JSON to read (default: results/latest.json)
  --out DIR   where charts/, index.html, README.md, summary.md, samples.csv go (default: results/)
  -h, --help  show this help
`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        in: { type: 'string', default: 'results/latest.json' },
        out: { type: 'string', default: 'results/' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const out = checkOutDir(values.out);
  const results = readResults(values.in);
  const keystone = readKeystoneCpu(keystoneLoadBeside(values.in));
  const opts = keystone ? { keystone } : {};
  const written = await writeReport(results, out, opts);
  process.stdout.write(summaryTerminal(results, opts));
  process.stdout.write(`wrote ${written.length} files to ${values.out}\n${written.map((p) => `  ${p}`).join('\n')}\n`);
  return 0;
}

await runMain(main);
