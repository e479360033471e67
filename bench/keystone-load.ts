// `npm run keystone-load -- [flags]`: what tokens cost Keystone. Flags in src/cli/keystone-load-args.ts, the work
// in src/keystone-load/run.ts; this file only wires them.
import { runMain } from '../src/cli/errors.ts';
import { keystoneLoadMain } from '../src/keystone-load/run.ts';

await runMain(() => keystoneLoadMain(process.argv.slice(2)));
