// `npm run simulate -- [flags]`: the token simulation against the model. The orchestration is in src/simulate/, the arithmetic in src/model/.
import { runMain } from '../src/cli/errors.ts';
import { simulateMain } from '../src/commands/simulate.ts';

await runMain(() => simulateMain(process.argv.slice(2)));
