// Parsing and validating `npm run bench` flags. Every check happens before anything is started or written, and
// every failure is a UsageError: one line, exit code 2, no stack trace, no file touched.
import { existsSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { DESIGNS, designById } from '../designs/index.ts';
import { UsageError } from './errors.ts';

export interface BenchOptions {
  maxsize: number;
  pythonMaxsize: number;
  pythonTracemalloc: boolean;
  steps: number;
  trials: number;
  designs: string[];
  out: string;
  name: string;
  seed: number;
  concurrency: number;
  timeoutS: number;
  catalogServices: number;
  keystoneUrl?: string;
  redisUrl?: string;
  latency: boolean;
  report: boolean;
  quiet: boolean;
  json: boolean;
  /** V8 old-space limit for node workers, MB, by design id ("*" = every node design); fault tests */
  workerMaxOldSpaceMb?: Record<string, number>;
  /** per Keystone request, seconds */
  keystoneTimeoutS: number;
}

export const HELP = `Usage: npm run bench -- [options]

Measures the memory one cached Keystone client (or token record, or Redis handle) costs per trust, as the
least-squares slope of memory over N across fresh worker processes, and the latency of getting a token.
Starts its own Keystone v3 stand-in (127.0.0.1) and private redis-server (unix socket); nothing to start by hand.

Options:
  --maxsize N            largest number of cached objects per sample (default 10000)
  --steps K              sizes in the sweep 0..maxsize, evenly spaced, at least 5 (default 5)
  --trials T             sweeps per design; the CI is taken across trials (default 5)
  --designs LIST         comma-separated design ids, or "all" (default all)
                         ${DESIGNS.map((d) => d.id).join(', ')}
  --python-maxsize N     largest N for the python designs, capped by --maxsize (default 2000)
  --python-tracemalloc   python designs also report tracemalloc bytes (inflates their RSS: a cross-check only)
  --out DIR              where results, charts and the report go (default results)
  --name NAME            base name of the results files (default latest)
  --concurrency C        authentications in flight while a worker builds (default 16)
  --timeout S            seconds one sample may take before it is failed (default 300)
  --keystone-timeout S   seconds one Keystone request may take; 2 retries after 5xx/timeouts (default 10)
  --catalog-services S   services in the stand-in's catalog, 3 endpoints each (default 13)
  --keystone-url URL     use a real Keystone; credentials from OS_* environment variables only
  --redis-url URL        use an existing Redis instead of a private redis-server
  --no-latency           skip the tinybench latency benchmarks
  --no-report            write JSON/CSV/Markdown only, no charts or HTML
  --seed S               seed of the sample order shuffle (default 1)
  --json                 also print the results JSON on stdout
  --quiet                no progress output
  -h, --help             show this help

Exit codes: 0 done, 1 some samples failed (results still written), 2 bad input,
130 interrupted by Ctrl-C, 143 by SIGTERM (samples so far in <out>/<name>.partial.json).`;

/** Planning estimates (not results) of RSS per object, used only to refuse a --maxsize the machine cannot hold. */
const PLANNING_BYTES_PER_OBJECT: Record<string, number> = {
  'full-client': 64 * 1024,
  'python-keystoneclient': 96 * 1024,
  'python-keystoneclient-authenticated': 96 * 1024,
};

function int(name: string, raw: string | undefined, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return def;
  if (!/^-?\d+(\.\d+)?$/.test(raw.trim())) throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  const v = Number(raw);
  if (!Number.isInteger(v)) throw new UsageError(`--${name} must be a whole number, got ${raw}`);
  if (v < min) throw new UsageError(`--${name} must be at least ${min}, got ${raw}`);
  if (v > max) throw new UsageError(`--${name} must be at most ${max}, got ${raw}`);
  return v;
}

/**
 * Whether files can be created in dir, found out by creating (and removing) an empty temp dir there: access(W_OK)
 * is not enough, it says yes to root for a 0500 dir and for /proc, where the run would only fail at the end.
 */
function canWriteIn(dir: string): boolean {
  try {
    rmdirSync(mkdtempSync(join(dir, '.kcb-probe-')));
    return true;
  } catch {
    return false;
  }
}

/** "512" (every node design) or "full-client=16,token-record=64". */
function oldSpaceLimits(raw: string | undefined, designs: string[]): Record<string, number> | undefined {
  if (raw === undefined) return undefined;
  const limits: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const [id, mb] = part.includes('=') ? part.split('=') : ['*', part];
    if (id !== '*' && !designs.includes(id)) throw new UsageError(`--worker-max-old-space names design "${id}", which is not in --designs`);
    limits[id] = int('worker-max-old-space', mb, 0, 8, 1 << 20);
  }
  return limits;
}

const fmtBytes = (b: number) => (b >= 2 ** 40 ? `${(b / 2 ** 40).toFixed(1)} TiB` : b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`);

export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  // `--maxsize -5` should reach validation ("must be at least 4"), not parseArgs's "ambiguous argument".
  const args = argv.flatMap((a, i) => (/^-\d/.test(a) && /^--[a-z-]+$/.test(argv[i - 1] ?? '') ? [] : [
    /^--[a-z-]+$/.test(a) && /^-\d/.test(argv[i + 1] ?? '') ? `${a}=${argv[i + 1]}` : a,
  ]));
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
      options: {
        maxsize: { type: 'string' }, 'python-maxsize': { type: 'string' }, steps: { type: 'string' },
        trials: { type: 'string' }, designs: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' },
        seed: { type: 'string' }, concurrency: { type: 'string' }, timeout: { type: 'string' }, 'keystone-timeout': { type: 'string' },
        'catalog-services': { type: 'string' }, 'keystone-url': { type: 'string' }, 'redis-url': { type: 'string' },
        latency: { type: 'boolean', default: true }, report: { type: 'boolean', default: true },
        quiet: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
        'worker-max-old-space': { type: 'string' }, 'python-tracemalloc': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    // parseArgs's messages are already one line; strip its advice to use "--" which does not apply here.
    throw new UsageError(`${(err as Error).message.split('\n')[0].replace(/\. To specify.*$/, '')} (see --help)`);
  }
  const v = parsed.values;
  if (v.help) return 'help';

  const maxsize = int('maxsize', v.maxsize, 10_000, 4);
  const steps = int('steps', v.steps, 5, 5, 50);
  const trials = int('trials', v.trials, 5, 1, 1000);
  const designs = (v.designs ?? 'all').split(',').map((s) => s.trim()).filter(Boolean);
  const ids = designs.includes('all') ? DESIGNS.map((d) => d.id) : [...new Set(designs)];
  const unknown = ids.filter((id) => !designById(id));
  if (unknown.length || ids.length === 0) {
    throw new UsageError(`unknown design ${unknown.map((u) => `"${u}"`).join(', ') || '(none given)'}; known: ${DESIGNS.map((d) => d.id).join(', ')}`);
  }
  const pythonMaxsize = Math.min(maxsize, int('python-maxsize', v['python-maxsize'], 2000, 4));

  // Refuse sizes the machine cannot hold, with the prediction, instead of swapping or being OOM-killed later.
  const budget = totalmem() * 0.7;
  for (const id of ids) {
    const n = designById(id)!.runtime === 'python' ? pythonMaxsize : maxsize;
    const predicted = n * (PLANNING_BYTES_PER_OBJECT[id] ?? 2048);
    if (predicted > budget) {
      throw new UsageError(`--maxsize ${n} is too large: ${id} would need about ${fmtBytes(predicted)} in one worker, this machine has ${fmtBytes(totalmem())}`);
    }
  }

  const out = resolve(v.out ?? 'results');
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new UsageError(`--out ${v.out} is a file, not a directory`);
    if (!canWriteIn(out)) throw new UsageError(`--out ${v.out} is not writable`);
  } else {
    let parent = dirname(out);
    while (!existsSync(parent)) parent = dirname(parent);
    if (!statSync(parent).isDirectory() || !canWriteIn(parent)) {
      throw new UsageError(`--out ${v.out} cannot be created (${parent} is not a writable directory)`);
    }
  }
  const name = v.name ?? 'latest';
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new UsageError(`--name may contain only letters, digits, ".", "_" and "-", got "${name}"`);

  for (const [flag, url] of [['keystone-url', v['keystone-url']], ['redis-url', v['redis-url']]] as const) {
    if (url === undefined) continue;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new UsageError(`--${flag} is not a URL: "${url}"`);
    }
    if (u.username || u.password) throw new UsageError(`--${flag} must not carry credentials; use the environment (see README)`);
    const schemes = flag === 'keystone-url' ? ['http:', 'https:'] : ['redis:', 'rediss:', 'unix:'];
    if (!schemes.includes(u.protocol)) throw new UsageError(`--${flag} must start with ${schemes.join(' or ')}, got "${url}"`);
  }

  return {
    maxsize,
    pythonMaxsize,
    pythonTracemalloc: v['python-tracemalloc'] as boolean,
    steps,
    trials,
    designs: ids,
    out,
    name,
    seed: int('seed', v.seed, 1, 0),
    concurrency: int('concurrency', v.concurrency, 16, 1, 256),
    timeoutS: int('timeout', v.timeout, 300, 1, 86_400),
    catalogServices: int('catalog-services', v['catalog-services'], 13, 1, 500),
    keystoneUrl: v['keystone-url'],
    redisUrl: v['redis-url'],
    latency: v.latency as boolean,
    report: v.report as boolean,
    quiet: v.quiet as boolean,
    json: v.json as boolean,
    workerMaxOldSpaceMb: oldSpaceLimits(v['worker-max-old-space'], ids),
    keystoneTimeoutS: int('keystone-timeout', v['keystone-timeout'], 10, 1, 600),
  };
}
