// `npm run model -- [flags]`: the command lives in src/commands/model.ts.
import { runMain } from '../src/cli/errors.ts';
import { modelMain } from '../src/commands/model.ts';

await runMain(() => modelMain(process.argv.slice(2)));
