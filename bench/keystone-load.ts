// `npm run keystone-load -- [flags]`: what tokens cost Keystone. Flags in src/cli/keystone-load-args.ts, the work
// in src/commands/keystone-load.ts; this file only wires them.
import { runMain } from '../src/cli/errors.ts';
import { keystoneLoadMain } from '../src/commands/keystone-load.ts';

await runMain(() => keystoneLoadMain(process.argv.slice(2)));
