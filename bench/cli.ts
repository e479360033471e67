// `npm run bench`: CLI → designs → plan → one fresh worker per run → analysis → results JSON → exporters/report.
// The command lives in src/commands/bench/; this file only runs it.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMain } from '../src/cli/errors.ts';
import { benchMain } from '../src/commands/bench/main.ts';

/** The whole run for `argv`; exported so tests can check its usage errors in-process (through runMain). */
export const main = (argv: string[] = process.argv.slice(2)): Promise<number> => benchMain(argv);

// Run only as the entry script (`node --import tsx bench/cli.ts`), not when a test imports main().
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runMain(() => main());
