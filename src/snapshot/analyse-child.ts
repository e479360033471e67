// Runs as a child process of its own (in-child.ts): the dominator tree of a big heap snapshot is seconds of
// synchronous work, during which a process cannot handle a signal. Here a signal to the harness kills it at once.
import { writeSync } from 'node:fs';
import { redact } from '../util/redact.ts';
import { analyseHeldEntries } from './index.ts';

const a = analyseHeldEntries(process.argv[2], { runtime: process.argv[3] === 'python' ? 'python' : 'node' });
// owner paths name dict keys (python): never a secret, whatever a design keys its dicts by
const breakdown = a.breakdown.map((b) => ({ ...b, owner: redact(b.owner) }));
writeSync(1, `${JSON.stringify({ retainedPerEntry: a.retainedPerEntry.mean, breakdown })}\n`);
