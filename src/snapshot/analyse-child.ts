// Runs as a child process of its own (in-child.ts): the dominator tree of a big heap snapshot is seconds of
// synchronous work, during which a process cannot handle a signal. Here a signal to the harness kills it at once.
import { writeSync } from 'node:fs';
import { analyseHeldEntries } from './index.ts';

const a = analyseHeldEntries(process.argv[2]);
writeSync(1, `${JSON.stringify({ retainedPerEntry: a.retainedPerEntry.mean, breakdown: a.breakdown })}\n`);
