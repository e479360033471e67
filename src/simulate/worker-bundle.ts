// The notifier workers of the simulation and of keystone-load's replay run as one esbuild bundle under plain node,
// as the bench's sample workers do (src/measure/node-bundle.ts): no tsx loader to start in every worker (~1 s of
// CPU each). The bundle joins the worker's serving loop with the run's design modules, built-in or the user's, so
// they share one copy of every module (the token counter the workers read is the designs' own).
import { fileURLToPath } from 'node:url';
import { bundleOnce, stopBundling } from '../util/bundle.ts';

const SERVE = {
  simulation: { file: fileURLToPath(new URL('./worker.ts', import.meta.url)), fn: 'serveSimulation' },
  replay: { file: fileURLToPath(new URL('../keystone-load/replay-worker.ts', import.meta.url)), fn: 'serveReplay' },
} as const;

/** The entry for `kind`'s workers with `modules` (design module files) loaded; a worker finds a design by its file. */
export async function notifierWorkerBundle(kind: keyof typeof SERVE, modules: string[]): Promise<string> {
  const files = [...new Set(modules)];
  const serve = SERVE[kind];
  const contents = [
    ...files.map((f, i) => `import d${i} from ${JSON.stringify(f)};`),
    `import { ${serve.fn} } from ${JSON.stringify(serve.file)};`,
    `${serve.fn}({ ${files.map((f, i) => `${JSON.stringify(f)}: d${i}`).join(', ')} });`,
  ].join('\n');
  const bundle = await bundleOnce(`${kind}:${files.join('\n')}`, { contents, sourcefile: `${kind}-worker-entry.ts` }, { name: kind });
  // no more bundles in this run: esbuild's service would otherwise outlive it as a child
  await stopBundling();
  return bundle;
}
