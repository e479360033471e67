// `npm run report -- [--in results/latest.json] [--out results/]`: the command lives in src/commands/report.ts.
import { runMain } from '../src/cli/errors.ts';
import { reportMain } from '../src/commands/report.ts';

await runMain(() => reportMain(process.argv.slice(2)));
