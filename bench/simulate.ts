// `npm run simulate -- [flags]`: the token simulation against the model. All logic is in src/model/.
import { runMain } from '../src/cli/errors.ts';
import { simulateMain } from '../src/cli/simulate-cli.ts';

await runMain(() => simulateMain(process.argv.slice(2)));
