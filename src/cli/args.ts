// Parsing and validating `npm run bench` flags. Every check happens before anything is started or written, and
// every failure is a UsageError: one line, exit code 2, no stack trace, no file touched. The design list is
// checked in two steps: the flags here, the designs themselves once their modules are loaded (src/measure/run-plan.ts).
import { cpus } from 'node:os';
import type { PlanOptions } from '../measure/run-plan.ts';
import { UsageError } from './errors.ts';
import { int, num, oneOf, parseFlags } from './flags.ts';
import { checkOutDir } from './out-dir.ts';
import { STORE_DRIVERS } from '../stores/index.ts';
import { exportedFiles } from '../report/exporters.ts';

/** Everything `npm run bench` was told: the run plan's flags (src/measure/run-plan.ts) and how to run and report. */
export interface BenchOptions extends PlanOptions {
  designModules: string[];
  out: string;
  name: string;
  concurrency: number;
  timeoutS: number;
  catalogServices: number;
  keystoneUrl?: string;
  /** how node workers get their tokens from the stand-in: its issuer in-process, or over HTTP */
  tokenPath: 'in-process' | 'http';
  baseline?: string;
  latency: boolean;
  /** tinybench's time budget per latency task, ms */
  latencyMs: number;
  report: boolean;
  quiet: boolean;
  json: boolean;
  /** per Keystone request, seconds */
  keystoneTimeoutS: number;
}

export const HELP = `Usage: npm run bench -- [options]

Measures the memory one cached Keystone client (or token record, or store handle) costs per trust, as the
least-squares slope of memory over N, read from worker processes as they build N entries, with a heap-snapshot
cross-check, and the latency of getting a token. Starts its own Keystone v3 stand-in (127.0.0.1) and private
store servers (unix sockets); nothing to start by hand.

Options:
  --maxsize N            largest number of cached objects per worker (default 10000)
  --steps K              sizes read in 0..maxsize, evenly spaced, 3..101 (default: 11 for entries
                         planned under 4 KB; 9 for larger ones)
  --trials T             most trials per design; the CI is taken across trials (default 5)
  --min-trials T         fewest trials per design (default 3)
  --target-ci PCT        stop adding trials once the slope's 95 % CI half-width is within PCT % (default 2)
  --protocol P           incremental: one worker per trial, read as it grows (default);
                         fresh: one worker per size and trial
  --warmup N             creations before the first reading (default: node 500, python 10)
  --snapshot-n N         N of the heap-snapshot cross-check of node designs, 0 = off (default 300)
  --python-snapshot-n N  N of python designs' cross-check worker: tracemalloc read at 5 sizes up to N,
                         then the object graph; capped by --python-maxsize, 0 = off (default 100)
  --designs LIST         comma-separated design ids, or "all" (default: all built-ins and --design-module ones)
  --design-module PATH   measure your own design too (.ts/.mts/.js/.mjs or .py; repeatable; see README)
  --python-maxsize N     largest N for the python designs, capped by --maxsize (default 1000)
  --large-maxsize N      largest N for node designs planned at 4 KB an entry or more, as the python
                         designs and the post's 1000 objects (the full client: 35 MB of growth at
                         1000); capped by --maxsize (default 1000)
  --out DIR              where results, charts and the report go (default results); refused when
                         empty, a project's directory, holding files the harness did not write, or
                         in use by another run (see README, "Failure behaviour")
  --name NAME            base name of the results JSON: <out>/<NAME>.json (default latest)
  --baseline FILE        compare with an earlier results file at the end (as npm run compare)
  --jobs J               workers measured at once, each its own process (default: CPUs, at most 2)
  --concurrency C        authentications in flight while a worker builds (default 16)
  --timeout S            seconds one worker may take before it is failed (default 300)
  --keystone-timeout S   seconds one Keystone request may take; 2 retries after 5xx/timeouts (default 10)
  --catalog-services S   services in the stand-in's catalog, 3 endpoints each (default 13)
  --keystone-url URL     use a real Keystone; credentials from OS_* environment variables only
  --token-path P         how node workers get tokens from the stand-in: in-process (default; its
                         token issuer runs inside the worker, the same bytes without the HTTP round
                         trip) or http; a real Keystone is always http
${STORE_DRIVERS.map((d) => `  ${`--${d.flag.name} ${d.flag.value}`.padEnd(22)} ${d.flag.help}\n`).join('')}  --no-latency           skip the tinybench latency benchmarks
  --latency-ms MS        time budget of each latency task, after 100 ms of warm-up, 20..60000 (default 300)
  --no-report            write the JSON and ${exportedFiles(false)} only, no charts or HTML
  --seed S               seed of the sample order shuffle (fresh protocol; default 1)
  --json                 print the results JSON on stdout instead of the summary table
  --quiet                no progress output
  -h, --help             show this help

Exit codes: 0 done, 1 some samples failed (results still written), 2 bad input,
130 interrupted by Ctrl-C, 143 by SIGTERM (samples so far in <out>/<name>.partial.json).`;


function checkUrl(flag: string, url: string | undefined, schemes: string[]): void {
  if (url === undefined) return;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--${flag} is not a URL: "${url}"`);
  }
  if (u.username || u.password) throw new UsageError(`--${flag} must not carry credentials; use the environment (see README)`);
  if (!schemes.includes(u.protocol)) throw new UsageError(`--${flag} must start with ${schemes.join(' or ')}, got "${url}"`);
}

export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values: v } = parseFlags(argv, {
    maxsize: { type: 'string' }, 'python-maxsize': { type: 'string' }, 'large-maxsize': { type: 'string' }, steps: { type: 'string' },
    trials: { type: 'string' }, 'min-trials': { type: 'string' }, 'target-ci': { type: 'string' }, protocol: { type: 'string' },
    warmup: { type: 'string' }, 'snapshot-n': { type: 'string' }, 'python-snapshot-n': { type: 'string' },
    designs: { type: 'string' }, 'design-module': { type: 'string', multiple: true }, out: { type: 'string' }, name: { type: 'string' },
    baseline: { type: 'string' }, seed: { type: 'string' }, concurrency: { type: 'string' }, jobs: { type: 'string' }, timeout: { type: 'string' },
    'keystone-timeout': { type: 'string' }, 'catalog-services': { type: 'string' }, 'keystone-url': { type: 'string' },
    'token-path': { type: 'string' }, ...Object.fromEntries(STORE_DRIVERS.map((d) => [d.flag.name, { type: 'string' as const }])),
    latency: { type: 'boolean', default: true }, 'latency-ms': { type: 'string' }, report: { type: 'boolean', default: true },
    quiet: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
    'worker-max-old-space': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (v.help) return 'help';

  const maxsize = int('maxsize', v.maxsize, 10_000, 4);
  const trials = int('trials', v.trials, 5, 1, 1000);
  const minTrials = Math.min(trials, int('min-trials', v['min-trials'], 3, 1, 1000));
  const targetCi = num('target-ci', v['target-ci']) ?? 2;
  if (!(targetCi > 0 && targetCi <= 100)) throw new UsageError(`--target-ci must be a percentage above 0, got ${v['target-ci']}`);
  const designs = v.designs === undefined ? undefined : [...new Set(v.designs.split(',').map((s) => s.trim()).filter(Boolean))];
  if (designs && !designs.length) throw new UsageError('--designs names no design');
  const name = v.name ?? 'latest';
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new UsageError(`--name may contain only letters, digits, ".", "_" and "-", got "${name}"`);
  // <name>.partial.json is where an interrupted run named <name> keeps its samples, removed by its next complete run
  if (/\.partial$/i.test(name)) throw new UsageError(`--name must not end in ".partial" (${name}.json is where an interrupted run named ${name.slice(0, -8)} keeps its samples)`);
  checkUrl('keystone-url', v['keystone-url'], ['http:', 'https:']);
  const tokenPath = oneOf('token-path', v['token-path'], ['in-process', 'http'] as const) ?? (v['keystone-url'] ? 'http' : 'in-process');
  if (tokenPath === 'in-process' && v['keystone-url']) throw new UsageError('--token-path in-process needs the embedded stand-in: a real Keystone (--keystone-url) is reached over HTTP');

  return {
    maxsize,
    pythonMaxsize: Math.min(maxsize, int('python-maxsize', v['python-maxsize'], 1000, 4)),
    largeMaxsize: Math.min(maxsize, int('large-maxsize', v['large-maxsize'], 1000, 4)),
    steps: v.steps === undefined ? undefined : int('steps', v.steps, 9, 3, 101),
    trials,
    minTrials,
    targetCi: targetCi / 100,
    protocol: oneOf('protocol', v.protocol, ['incremental', 'fresh'] as const) ?? 'incremental',
    warmup: v.warmup === undefined ? undefined : int('warmup', v.warmup, 0, 0, 1_000_000),
    snapshotN: int('snapshot-n', v['snapshot-n'], 300, 0, 100_000),
    pythonSnapshotN: int('python-snapshot-n', v['python-snapshot-n'], 100, 0, 100_000),
    designs: designs?.includes('all') ? undefined : designs,
    designModules: (v['design-module'] as string[] | undefined) ?? [],
    out: checkOutDir(v.out ?? 'results'),
    name,
    baseline: v.baseline,
    seed: int('seed', v.seed, 1, 0),
    concurrency: int('concurrency', v.concurrency, 16, 1, 256),
    jobs: int('jobs', v.jobs, Math.min(2, cpus().length), 1, 64),
    timeoutS: int('timeout', v.timeout, 300, 1, 86_400),
    catalogServices: int('catalog-services', v['catalog-services'], 13, 1, 500),
    keystoneUrl: v['keystone-url'],
    tokenPath,
    externalStores: Object.fromEntries(STORE_DRIVERS.flatMap((d) => {
      const raw = (v as Record<string, unknown>)[d.flag.name] as string | undefined;
      return raw === undefined ? [] : [[d.id, d.flag.parse(raw)]];
    })),
    latency: v.latency as boolean,
    latencyMs: int('latency-ms', v['latency-ms'], 300, 20, 60_000),
    report: v.report as boolean,
    quiet: v.quiet as boolean,
    json: v.json as boolean,
    workerMaxOldSpace: oldSpaceLimits(v['worker-max-old-space'] as string | undefined),
    keystoneTimeoutS: int('keystone-timeout', v['keystone-timeout'], 10, 1, 600),
  };
}

/** "512" (every node design) or "full-client=16,token-record=64": MB by design id, "*" for every node design. */
export function oldSpaceLimits(raw: string | undefined): Record<string, number> | undefined {
  if (raw === undefined) return undefined;
  const limits: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const [id, mb] = part.includes('=') ? part.split('=') : ['*', part];
    limits[id] = int('worker-max-old-space', mb, 0, 8, 1 << 20);
  }
  return limits;
}
