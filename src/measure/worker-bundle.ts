// Workers run as one pre-bundled JavaScript file under plain `node --expose-gc`, not through the tsx loader:
// the loader's transpiler would sit in every worker's memory (tens of MB of RSS that move from run to run) and
// add ~0.3 s to every start. The bundle is rebuilt once per run, into node_modules/.cache so that bare imports
// (undici, redis) still resolve from the project's node_modules.
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let bundled: Promise<string> | undefined;

export function workerBundle(): Promise<string> {
  bundled ??= (async () => {
    const outDir = join(ROOT, 'node_modules', '.cache', 'keystone-cache-bench');
    mkdirSync(outDir, { recursive: true });
    const outfile = join(outDir, `worker-${process.pid}.mjs`);
    await build({
      entryPoints: [join(ROOT, 'bench', 'worker.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
      sourcemap: false,
    });
    // One bundle per harness process: remove it when the process ends, or every run would leave one behind.
    process.once('exit', () => rmSync(outfile, { force: true }));
    return outfile;
  })();
  return bundled;
}
