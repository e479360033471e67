// Node workers run as one pre-bundled JavaScript file per design under plain `node --expose-gc`, not through
// the tsx loader: the loader's transpiler would sit in every worker's memory (tens of MB of RSS that move from
// run to run) and add ~0.3 s to every start. The bundle joins the design module (built-in or the user's .ts or
// .js) with the worker's serving loop, so both share one copy of every module. It is built once per run into
// node_modules/.cache, so that bare imports (undici, redis) still resolve from the project's node_modules.
import { build, stop } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVE = join(ROOT, 'src', 'worker', 'node', 'serve.ts');
const bundles = new Map<string, Promise<string>>();
let counter = 0;

export function nodeWorkerBundle(modulePath: string): Promise<string> {
  let bundled = bundles.get(modulePath);
  if (!bundled) {
    bundled = (async () => {
      const outDir = join(ROOT, 'node_modules', '.cache', 'keystone-cache-bench');
      mkdirSync(outDir, { recursive: true });
      const outfile = join(outDir, `worker-${process.pid}-${counter++}.mjs`);
      await build({
        stdin: {
          contents: `import design from ${JSON.stringify(modulePath)};\nimport { serveSamples } from ${JSON.stringify(SERVE)};\nserveSamples(design);\n`,
          resolveDir: ROOT,
          loader: 'ts',
          sourcefile: 'worker-entry.ts',
        },
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        logLevel: 'silent',
        sourcemap: false,
        // keep class names: the heap snapshot finds the held entries by their holder's constructor name
        keepNames: true,
      });
      // One bundle per harness process and design: removed when the process ends, or every run would leave some.
      process.once('exit', () => rmSync(outfile, { force: true }));
      return outfile;
    })();
    bundles.set(modulePath, bundled);
  }
  return bundled;
}

/**
 * Ends esbuild's service process once no more bundles are needed (the campaign is over): left to the harness's
 * exit, it lingered as an unreaped child of the ending process.
 */
export async function stopBundling(): Promise<void> {
  await Promise.allSettled(bundles.values());
  await stop();
}
