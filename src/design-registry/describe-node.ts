// Runs as a child process of its own (started by load.ts with a time limit, as an esbuild bundle under plain node):
// imports each node design module named on the command line (pairs: the module's file, then its esbuild bundle)
// and prints what its default export declares, one marked line per module. Whatever a module
// does at import (exit, loop, never settle) happens here, where the harness can see it and stop it.
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DESCRIBE_MARK, type Described } from './describe-protocol.ts';
import { errorLine } from '../util/text.ts';

const FIELDS = ['id', 'title', 'topology', 'needs', 'planningBytesPerEntry', 'requires', 'whatIf'] as const;

const say = (m: Described) => writeSync(1, `${DESCRIBE_MARK}${JSON.stringify(m)}\n`);

/** A plain copy of the declared fields (a getter that throws, or a value JSON cannot hold, is left out). */
function declared(d: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { hasOpen: false };
  try {
    out.hasOpen = typeof d.open === 'function';
  } catch {
    /* a throwing getter: no open() */
  }
  for (const k of FIELDS) {
    try {
      const v = JSON.parse(JSON.stringify(d[k]) ?? 'null');
      if (v !== null) out[k] = v;
    } catch {
      out[k] = `[unreadable ${k}]`;
    }
  }
  return out;
}

const args = process.argv.slice(2);
for (let i = 0; i + 1 < args.length; i += 2) {
  const [file, bundle] = [args[i], args[i + 1]];
  try {
    const mod = (await import(pathToFileURL(bundle).href)) as { default?: unknown };
    const d = mod.default;
    if (!d || typeof d !== 'object') say({ file, problem: 'needs a default export { id, title, topology, open(ctx) }' });
    else say({ file, exports: declared(d as Record<string, unknown>) });
  } catch (err) {
    say({ file, loadError: errorLine(err) });
  }
}
say({ done: true });
// handles a module opened at import (a server, a timer) must not keep this process alive
process.exit(0);
