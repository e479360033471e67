// The entry scripts' main loop: a UsageError (src/util/usage-error.ts) becomes one line and exit 2; anything
// else is a bug or a fault and keeps its stack.
import { redact } from '../util/redact.ts';
import { UsageError } from '../util/usage-error.ts';

export { UsageError };


/** Runs an entry script's main, turning UsageError into "error: <message>" + exit 2. */
export async function runMain(main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${redact(err.message)}\n`);
      process.exitCode = 2;
      return;
    }
    // A bug keeps its stack, but passes through redact() like every other text that leaves the process.
    process.stderr.write(`${redact((err as Error)?.stack ?? String(err))}\n`);
    process.exitCode = 1;
  }
}
