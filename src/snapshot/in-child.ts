// The heap-snapshot cross-check as the campaign runs it: in a child process (analyse-child.ts), so that Ctrl-C
// or SIGTERM during the analysis stops it at once and the run ends as interrupted, never after replacing results.
import { fileURLToPath } from 'node:url';
import type { Runtime } from '../designs/descriptor.ts';
import type { SnapshotCheck } from '../results/schema.ts';
import { runBounded } from '../util/run-bounded.ts';
import { bundleOnce } from '../util/bundle.ts';

const CHILD = fileURLToPath(new URL('./analyse-child.ts', import.meta.url));

/** A 300-entry full-client snapshot (~35 MB) takes a few seconds; this bounds a stuck analysis, not a slow one. */
const ANALYSIS_TIMEOUT_MS = 30 * 60_000;

/** A node heap snapshot or a python object graph (which reader: `runtime`), analysed in a child. */
export async function analyseSnapshotInChild(path: string, runtime: Runtime = 'node'): Promise<Omit<SnapshotCheck, 'n'>> {
  // bundled, run by plain node: no tsx start-up for every analysis
  const run = await runBounded(process.execPath, [await bundleOnce(CHILD, { file: CHILD }, { name: 'analyse' }), path, runtime], { timeoutMs: ANALYSIS_TIMEOUT_MS, maxStdoutBytes: 64 << 20 });
  if (run.code !== 0 || run.timedOut) {
    const why = run.timedOut ? `took more than ${ANALYSIS_TIMEOUT_MS / 60_000} min`
      : run.signal ? `analysis killed by ${run.signal}` : run.stderr.split('\n').find((l) => /Error/.test(l))?.trim() ?? `analysis exited with code ${run.code}`;
    throw new Error(why);
  }
  return JSON.parse(run.stdout) as Omit<SnapshotCheck, 'n'>;
}
