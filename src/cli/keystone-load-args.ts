// Flags of `npm run keystone-load`. Every mistake is a one-line UsageError (exit 2 through runMain), found before
// anything is started or written.
import { OPERATION_IDS, type OperationId } from '../keystone-load/operations.ts';
import { UsageError } from './errors.ts';
import { int, num, parseFlags } from './flags.ts';
import { checkOutDir } from './out-dir.ts';

export const DEFAULT_KEYSTONE_LOAD_OUT = 'results/keystone-load';

export interface KeystoneLoadArgs {
  help: boolean;
  keystoneUrl?: string;
  standIn: boolean;
  out: string;
  operations: OperationId[];
  levelS: number;
  maxConcurrency: number;
  batches: number;
  batchCpuMs: number;
  replay: boolean;
  replayS: number;
  replayDesigns?: string[];
  report: boolean;
  json: boolean;
  quiet: boolean;
}

export const KEYSTONE_LOAD_HELP = `usage: npm run keystone-load -- [options]

What tokens cost Keystone. Against a real Keystone (by default the local one of scripts/keystone-local.sh, from
$KEYSTONE_LOCAL_DIR/openrc, default /tmp/keystone-local): for each operation (token-trust, token-trust-nocatalog,
validate) Keystone's CPU per operation from its processes' CPU time in /proc (local Keystone only), with a 95 % CI
over batches, and a capacity curve (operations/s, p50/p99 latency, errors at concurrency 1, 2, 4, … until
throughput stops rising or errors appear); then a replay of the post's scenario, scaled so that no cache asks for
${'2.5'}× the measured capacity, run in real time by notifier workers with the simulation's design handler (no cache
and the recommended design).
About 8–9 minutes with the defaults on 2 busy cores.

  --keystone-url URL     a Keystone to load; credentials from OS_USERNAME/OS_PASSWORD/OS_USER_DOMAIN_NAME, trusts
                         made by OS_TRUSTOR_USERNAME/OS_TRUSTOR_PASSWORD (environment only). CPU is measured only
                         when it is scripts/keystone-local.sh's Keystone on this machine
  --stand-in             load the harness's embedded stand-in instead (tests, demos): figures labelled the
                         stand-in's, never Keystone's, and no CPU figure
  --out DIR              where latest.json, summary.md, index.html and charts/ go (default ${DEFAULT_KEYSTONE_LOAD_OUT})
  --operations LIST      some of ${OPERATION_IDS.join(', ')} (default all)
  --level-s S            seconds per concurrency level of the capacity curve (default 6)
  --max-concurrency N    highest concurrency tried, doubling from 1 (default 64)
  --batches N            batches of the CPU measurement, the CI is over them (default 8)
  --batch-cpu-ms MS      Keystone CPU each batch should span, ms (default 1500: 150 clock ticks)
  --replay-s S           seconds each replayed design runs (default 75)
  --replay-designs LIST  designs replayed besides no-cache (default: the planner's recommendation for the post's
                         scenario from results/latest.json, else memcached-handle)
  --no-replay            skip the replay
  --no-report            write latest.json only
  --json                 print the results JSON on stdout
  --quiet                no progress lines on stderr
  -h, --help             this text

Exit codes: 0 done, 1 a fault while measuring (what was measured is still written), 2 bad input (nothing written).
`;

export function parseKeystoneLoadArgs(argv: string[]): KeystoneLoadArgs {
  const { values } = parseFlags(argv, {
    'keystone-url': { type: 'string' }, 'stand-in': { type: 'boolean' }, out: { type: 'string' }, operations: { type: 'string' },
    'level-s': { type: 'string' }, 'max-concurrency': { type: 'string' }, batches: { type: 'string' }, 'batch-cpu-ms': { type: 'string' },
    'replay-s': { type: 'string' }, 'replay-designs': { type: 'string' }, replay: { type: 'boolean', default: true }, report: { type: 'boolean', default: true },
    json: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  const v = values as Record<string, string | boolean | undefined>;
  const s = (k: string) => v[k] as string | undefined;
  const base = { help: true, standIn: false, out: DEFAULT_KEYSTONE_LOAD_OUT, operations: [...OPERATION_IDS], levelS: 6, maxConcurrency: 64, batches: 8,
    batchCpuMs: 1500, replay: true, replayS: 75, report: true, json: false, quiet: false };
  if (v.help) return base;
  if (s('keystone-url') !== undefined && v['stand-in']) throw new UsageError('--keystone-url and --stand-in: choose one');
  if (s('keystone-url') === '') throw new UsageError('--keystone-url needs a URL');
  const positive = (flag: string, def: number, max: number) => {
    const x = num(flag, s(flag)) ?? def;
    if (!(Number.isFinite(x) && x > 0 && x <= max)) throw new UsageError(`--${flag} must be > 0 and at most ${max}, got ${s(flag)}`);
    return x;
  };
  const operations = s('operations') === undefined ? [...OPERATION_IDS] : s('operations')!.split(',').map((o) => o.trim());
  const bad = operations.filter((o) => !(OPERATION_IDS as readonly string[]).includes(o));
  if (bad.length || !operations.length) throw new UsageError(`--operations must be some of ${OPERATION_IDS.join(', ')} (got "${s('operations')}")`);
  if (operations.includes('validate') && !operations.some((o) => o.startsWith('token-'))) {
    throw new UsageError('--operations validate needs a token operation too (validations check the tokens it mints)');
  }
  const replayDesigns = s('replay-designs')?.split(',').map((d) => d.trim()).filter(Boolean);
  if (replayDesigns && !replayDesigns.length) throw new UsageError('--replay-designs needs design ids');
  return {
    help: false,
    ...(s('keystone-url') !== undefined ? { keystoneUrl: s('keystone-url') } : {}),
    standIn: Boolean(v['stand-in']),
    out: checkOutDir(s('out') ?? DEFAULT_KEYSTONE_LOAD_OUT),
    operations: operations as OperationId[],
    levelS: positive('level-s', 6, 600),
    maxConcurrency: int('max-concurrency', s('max-concurrency'), 64, 1, 1024),
    batches: int('batches', s('batches'), 8, 2, 1000),
    batchCpuMs: positive('batch-cpu-ms', 1500, 600_000),
    // --no-replay / --no-report: parseFlags reads --no-X as X = false, as the bench's --no-latency
    replay: v.replay !== false,
    replayS: positive('replay-s', 75, 3600),
    ...(replayDesigns ? { replayDesigns } : {}),
    report: v.report !== false,
    json: Boolean(v.json),
    quiet: Boolean(v.quiet),
  };
}
