// Node workers run as one pre-bundled JavaScript file per design under plain `node --expose-gc`, not through
// the tsx loader: the loader's transpiler would sit in every worker's memory (tens of MB of RSS that move from
// run to run) and add ~0.3 s to every start. The bundle joins the design module (built-in or the user's .ts or
// .js) with the worker's serving loop, so both share one copy of every module.
import { fileURLToPath } from 'node:url';
import { bundleOnce } from '../util/bundle.ts';

const SERVE = fileURLToPath(new URL('../worker/node/serve.ts', import.meta.url));

export function nodeWorkerBundle(modulePath: string): Promise<string> {
  return bundleOnce(`worker:${modulePath}`, {
    contents: `import design from ${JSON.stringify(modulePath)};\nimport { serveSamples } from ${JSON.stringify(SERVE)};\nserveSamples(design);\n`,
    sourcefile: 'worker-entry.ts',
    // the heap snapshot finds the held entries by their holder's constructor name
  }, { name: 'worker', keepNames: true });
}
