// Builds the entry scripts (bench/*.ts) once per test run into JavaScript (one file per script, shared chunks), so the tests that run a
// command as a separate process start plain node instead of node + the tsx loader: ~0.6 s less CPU per process,
// over ~90 processes a run. The bundles run the same sources: each file's import.meta.url is its own source
// file's URL, so every path the harness finds next to its sources (worker.py, the design modules, package.json)
// is the one `npm run` finds. A few tests still run the scripts through tsx, as `npm run` does (run-cli.ts).
import { build, type Plugin } from 'esbuild';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** import.meta.url as the source file's own URL (esbuild would leave the bundle's). */
const ownUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};

declare module 'vitest' {
  export interface ProvidedContext {
    cliBundles: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const parent = join(ROOT, 'node_modules', '.cache');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'kcb-test-cli-'));
  const scripts = readdirSync(join(ROOT, 'bench')).filter((f) => f.endsWith('.ts'));
  // bench/cli.ts runs main() only as the entry script; its bundle's entry calls it
  const cliEntry = join(dir, 'cli-entry.ts');
  writeFileSync(cliEntry, `import { main } from ${JSON.stringify(join(ROOT, 'bench/cli.ts'))};\nimport { runMain } from ${JSON.stringify(join(ROOT, 'src/cli/errors.ts'))};\nawait runMain(() => main());\n`);
  await build({
    entryPoints: scripts.map((f) => ({ in: f === 'cli.ts' ? cliEntry : join(ROOT, 'bench', f), out: f.replace(/\.ts$/, '') })),
    // split: what the sources import on demand (the Redis client, the chart renderers) stays on demand, as under tsx
    splitting: true, outdir: dir, outExtension: { '.js': '.mjs' },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error',
    plugins: [ownUrl],
  });
  project.provide('cliBundles', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
