// A child's TypeScript, bundled by esbuild into one JavaScript file run by plain node: no tsx loader in the child
// (~0.3 s of every start, and its transpiler in the child's memory). Built once per harness process and entry
// into node_modules/.cache, so that bare imports (undici, redis) still resolve from the project's node_modules,
// and removed when the process ends.
import { build, stop } from 'esbuild';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { isAlive as alive } from './processes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const bundles = new Map<string, Promise<string>>();
/** this process's bundle files, removed by one exit hook (one hook per bundle would pass node's listener limit) */
const written = new Set<string>();
/** builds in flight (stopBundling waits for them) */
const pending = new Set<Promise<unknown>>();
let counter = 0;
let swept = false;

function removeWritten(): void {
  for (const f of written) rmSync(f, { force: true });
}

/** Bundles of harness processes that are gone without their exit hook (kill -9): named by their PID. */
function sweep(outDir: string): void {
  swept = true;
  for (const f of readdirSync(outDir)) {
    const pid = Number(/^[a-z]+-(\d+)-\d+\.mjs$/.exec(f)?.[1]);
    if (pid && pid !== process.pid && !alive(pid)) rmSync(join(outDir, f), { force: true });
  }
}

export type BundleEntry = { file: string } | { contents: string; sourcefile: string };

/**
 * A new bundle of `entry`, named `<name>-<pid>-<n>.mjs` (what a process list shows), removed when this process
 * ends or by discard(). keepNames: class names survive (heap snapshots find entries by them).
 */
export async function bundle(entry: BundleEntry, opts: { name: string; keepNames?: boolean }): Promise<string> {
  const outDir = join(ROOT, 'node_modules', '.cache', 'keystone-cache-bench');
  mkdirSync(outDir, { recursive: true });
  if (!swept) sweep(outDir);
  const outfile = join(outDir, `${opts.name}-${process.pid}-${counter++}.mjs`);
  // removed when the process ends, or every run would leave some
  if (!written.size) process.once('exit', removeWritten);
  written.add(outfile);
  const building = build({
    ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.contents, resolveDir: ROOT, loader: 'ts' as const, sourcefile: entry.sourcefile } }),
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
    sourcemap: false,
    keepNames: opts.keepNames ?? false,
  });
  pending.add(building);
  try {
    await building;
  } finally {
    pending.delete(building);
  }
  return outfile;
}

/** Removes a bundle made by bundle() that is no longer needed. */
export function discard(file: string): void {
  written.delete(file);
  rmSync(file, { force: true });
}

/** The bundle of `entry`, built on the first call for `key` in this process (bundle() for the rest). */
export function bundleOnce(key: string, entry: BundleEntry, opts: { name: string; keepNames?: boolean }): Promise<string> {
  let bundled = bundles.get(key);
  if (!bundled) {
    bundled = bundle(entry, opts);
    bundles.set(key, bundled);
  }
  return bundled;
}

/**
 * Ends esbuild's service process once no more bundles are needed (describing, the campaign, a simulation's workers are built): left to the harness's
 * exit, it lingered as an unreaped child of the ending process. A later bundle starts it again.
 */
export async function stopBundling(): Promise<void> {
  await Promise.allSettled(pending);
  await stop();
}
