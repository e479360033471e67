// `npm run simulate -- [flags]` (also `npm run model -- --simulate [flags]`): runs the token simulation
// (src/simulate/run.ts) and prints, per design, the model's expectation beside the tokens the stand-in issued.
import { UsageError } from '../cli/errors.ts';
import { int, oneOf, parseFlags, real } from '../cli/flags.ts';
import { exitCodeFor, interruptedBy, onInterrupt } from '../util/processes.ts';
import { AGREEMENT_TOLERANCE, LOSS_SLACK_TOKENS, LOSS_TOLERANCE, LRU_TOLERANCE, agreement } from '../model/sim-agreement.ts';
import { evictionText, parseEviction, type Eviction } from '../model/firing.ts';
import {
  MAX_MEMCACHED_POOL, SIM_BOUNDS, SIM_DEFAULTS, SIM_DESIGNS, builtinCatalog, runSimulation, type SimDesign, type SimOptions, type SimResult,
} from '../simulate/run.ts';
import { textTable } from '../util/text.ts';

/** The episodes stream's defaults: ~5.8 evaluations per usable period, 30 % firing, episodes of 3 evaluations. */
export const EPISODE_DEFAULTS = { intervalS: 600, fraction: 0.3, episodeMinutes: 30 } as const;

export const SIMULATE_HELP = `usage: npm run simulate -- [options]     (or: npm run model -- --simulate [options])

Runs W notifier worker processes with the real cache designs against the embedded Keystone stand-in, on a
virtual clock (each notification carries its scheduled instant; tokens expire against it), and compares the
tokens the stand-in issued with the token model. The count depends on the stream alone, not on machine load.
  --designs LIST     comma-separated: ${SIM_DESIGNS.join(', ')}, a --design-module's id, or all
                     (default ${SIM_DEFAULTS.designs.join(',')})
  --design-module P  a node design module of your own (repeatable; see README "Measure your own design")
  --workers N        notifier processes, 1..${SIM_BOUNDS.workers} (default ${SIM_DEFAULTS.workers})
  --trusts N         trusts in the stream, 1..${SIM_BOUNDS.trusts} (default ${SIM_DEFAULTS.trusts})
  --stream K         poisson | ticks (a notification every 1/R period; R must not be whole) | episodes (every
                     alarm evaluated each --interval; in the alarm state for episodes of --episode-minutes, it
                     notifies at each evaluation, as Aodh's repeat_actions does) (default ${SIM_DEFAULTS.stream})
  --rate R           poisson, ticks: notifications per trust per usable token period, all workers together,
                     (0, ${SIM_BOUNDS.rate}] (default ${SIM_DEFAULTS.notificationsPerTrustPerPeriod})
  --interval S       episodes: evaluation interval, whole virtual seconds, 1..P (default ${EPISODE_DEFAULTS.intervalS})
  --firing F         episodes: share of alarms in the alarm state, (0, 1) (default ${EPISODE_DEFAULTS.fraction})
  --episode-minutes M  episodes: mean time in the alarm state, ≥ one evaluation (default ${EPISODE_DEFAULTS.episodeMinutes})
  --eviction E       episodes: none | expired | lru:N, what each worker's cache drops (default none)
  --periods P        usable token periods of notifications per trust, (0, ${SIM_BOUNDS.periods}] (default ${SIM_DEFAULTS.periods})
  --lifetime S       token lifetime, whole virtual seconds, 121..${SIM_BOUNDS.lifetimeS} (default ${SIM_DEFAULTS.tokenLifetimeS}; margin is keystoneauth's 120 s)
  --routing K        random | round-robin (ticks only: fully deterministic, the model is exact) (default ${SIM_DEFAULTS.routing})
  --seed N           stream seed, a whole number within ±2^31 (default ${SIM_DEFAULTS.seed})
  --noise-runs N     seeds for the sampling-noise estimate, 2..${SIM_BOUNDS.noiseRuns} (default ${SIM_DEFAULTS.noiseRuns})
  --memcached-pool N private memcached servers the workers share, keys hashed over them client-side, a dead
                     server's keys rehashed to the next (1..${MAX_MEMCACHED_POOL}; default ${SIM_DEFAULTS.memcachedPool}: one server, no failover);
                     without --designs the run is memcached-handle
  --kill-server-at F kill the pool's first server (SIGKILL) at fraction F of each memcached design's run
                     (0 < F < 1; needs --memcached-pool 2 or more) and report the extra tokens it cost beside
                     the replay's prediction (the stream replayed with that server's keys dropped at the kill)
                     and the model's expected early re-mints
  --json             the whole result as JSON
  --help             this text
Exit status 1 when a design does not agree with the model (see the verdict column), 2 on a usage error,
130/143 when interrupted (the worker processes and store servers are stopped first).
`;

const FLAGS = ['designs', 'workers', 'trusts', 'rate', 'periods', 'lifetime', 'stream', 'routing', 'seed', 'noise-runs',
  'memcached-pool', 'kill-server-at', 'interval', 'firing', 'episode-minutes', 'eviction'] as const;

export function parseSimulateArgs(argv: string[]): SimOptions | 'help' | { json: true; options: SimOptions } {
  const { values } = parseFlags(argv, {
    ...Object.fromEntries(FLAGS.map((k) => [k, { type: 'string' as const }])),
    json: { type: 'boolean' as const }, help: { type: 'boolean' as const },
    'design-module': { type: 'string' as const, multiple: true },
  }) as { values: Record<string, string | boolean | string[] | undefined> };
  if (values.help) return 'help';
  const s = (k: string) => values[k] as string | undefined;
  const memcachedPool = int('memcached-pool', s('memcached-pool'), SIM_DEFAULTS.memcachedPool, 1, MAX_MEMCACHED_POOL);
  let designs = memcachedPool > 1 ? ['memcached-handle'] : SIM_DEFAULTS.designs;
  if (s('designs') !== undefined) {
    const list = s('designs')!.split(',').map((d) => d.trim()).filter(Boolean);
    designs = list.includes('all') ? [...SIM_DESIGNS] : (list as SimDesign[]);
  }
  const stream = oneOf('stream', s('stream'), ['poisson', 'ticks', 'episodes'] as const) ?? SIM_DEFAULTS.stream;
  const tokenLifetimeS = int('lifetime', s('lifetime'), SIM_DEFAULTS.tokenLifetimeS, 121, SIM_BOUNDS.lifetimeS);
  const usableS = tokenLifetimeS - 120;
  const episodes = stream === 'episodes';
  for (const flag of ['interval', 'firing', 'episode-minutes', 'eviction'] as const) {
    if (!episodes && s(flag) !== undefined) throw new UsageError(`--${flag} applies to --stream episodes`);
  }
  if (episodes && s('rate') !== undefined) throw new UsageError('--rate does not apply to --stream episodes: set --interval (evaluations per period = P / interval)');
  const intervalS = int('interval', s('interval'), EPISODE_DEFAULTS.intervalS, 1, usableS);
  const episodeMinutes = real('episode-minutes', s('episode-minutes'), EPISODE_DEFAULTS.episodeMinutes, intervalS / 60, 1e6);
  let eviction: Eviction | undefined;
  try {
    eviction = s('eviction') === undefined ? undefined : parseEviction(s('eviction')!);
  } catch (err) {
    throw new UsageError(`--eviction: ${(err as Error).message}`);
  }
  const killServerAt = s('kill-server-at') === undefined ? undefined : real('kill-server-at', s('kill-server-at'), 0, 0, 1, { min: true, max: true });
  const options = {
    ...SIM_DEFAULTS,
    designs,
    workers: int('workers', s('workers'), SIM_DEFAULTS.workers, 1, SIM_BOUNDS.workers),
    trusts: int('trusts', s('trusts'), SIM_DEFAULTS.trusts, 1, SIM_BOUNDS.trusts),
    notificationsPerTrustPerPeriod: episodes ? usableS / intervalS : real('rate', s('rate'), SIM_DEFAULTS.notificationsPerTrustPerPeriod, 0, SIM_BOUNDS.rate, { min: true }),
    periods: real('periods', s('periods'), SIM_DEFAULTS.periods, 0, SIM_BOUNDS.periods, { min: true }),
    tokenLifetimeS,
    seed: int('seed', s('seed'), SIM_DEFAULTS.seed, -(2 ** 31), 2 ** 31 - 1),
    noiseRuns: int('noise-runs', s('noise-runs'), SIM_DEFAULTS.noiseRuns, 2, SIM_BOUNDS.noiseRuns),
    memcachedPool,
    ...(killServerAt !== undefined ? { killServerAt } : {}),
    stream,
    routing: oneOf('routing', s('routing'), ['random', 'round-robin'] as const) ?? SIM_DEFAULTS.routing,
    ...(episodes ? { firing: { fraction: real('firing', s('firing'), EPISODE_DEFAULTS.fraction, 0, 1, { min: true, max: true }), episodeTicks: (episodeMinutes * 60) / intervalS } } : {}),
    ...(eviction ? { eviction } : {}),
    designModules: (values['design-module'] as string[] | undefined) ?? [],
  } as SimOptions & { designModules: string[] };
  return values.json ? { json: true, options } : options;
}

const count = (v: number) => Math.round(v).toLocaleString('en-US');
const signedPct = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(2)} %`;
const secs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

/** Numbers right-aligned: every column but the first two and the last. */
const table = (head: string[], rows: string[][]) => textTable(head, rows, (i) => i >= 2 && i < head.length - 1);

export function formatSimulation(r: SimResult): string {
  const o = r.options;
  const stream = o.stream === 'episodes'
    ? `episodes: every alarm evaluated every ${Math.round(r.usablePeriodS / o.notificationsPerTrustPerPeriod)} s (${Number(o.notificationsPerTrustPerPeriod.toPrecision(4))} ` +
      `evaluations per usable period), ${Number((o.firing!.fraction * 100).toPrecision(3))} % in the alarm state, episodes of ` +
      `${Number(o.firing!.episodeTicks.toPrecision(4))} evaluations on average, ${o.routing} routing`
    : `${o.notificationsPerTrustPerPeriod} notifications per trust per usable period (${o.stream === 'poisson' ? 'Poisson' : 'ticks'}, ${o.routing} routing)`;
  const out: string[] = [
    `token simulation: ${o.workers} worker processes, ${count(o.trusts)} trusts, ${stream}, ${o.periods} periods per trust, seed ${o.seed}; ` +
      `eviction ${evictionText(o.eviction ?? { kind: 'none' })}`,
    `virtual clock: token lifetime ${o.tokenLifetimeS} s, refresh margin ${r.refreshMarginS} s, usable period P = ${r.usablePeriodS} s; ` +
      'each notification is handled at its scheduled instant, so the count depends on the stream alone',
    '',
  ];
  const rows = r.designs.map((d) => {
    const a = agreement(d);
    const noise = d.noiseSd > 0 ? `±${d.noiseSd.toFixed(1)} (${((d.noiseSd / d.expected.tokens) * 100).toFixed(2)} %)` : 'exact';
    const verdict = d.errors ? `FAILED: ${d.errors} errors (${d.firstError ?? ''})`
      : `${a.ok ? 'agrees' : 'DIFFERS'}${a.z === null ? '' : ` (${a.z >= 0 ? '+' : '−'}${Math.abs(a.z).toFixed(1)} sd)`}`;
    const vsReplay = a.singleFlightTokens - d.replay.tokens;
    return [d.design, d.model, count(d.notifications), count(d.expected.tokens), noise, count(d.replay.tokens), count(d.tokensIssued),
      d.model === 'shared' ? count(d.concurrentMints) : '–', `${vsReplay >= 0 ? '+' : '−'}${count(Math.abs(vsReplay))}`,
      signedPct(a.deviation), verdict];
  });
  out.push(...table(['design', 'cache', 'notifications', 'model', 'noise (1 sd)', 'replay', 'simulated', 'dup', 'vs replay', 'vs model',
    'verdict'], rows));

  const perWorker = r.designs.filter((d) => d.model === 'per-worker');
  const shared = r.designs.filter((d) => d.model === 'shared');
  if (perWorker.length && shared.length) {
    const pw = perWorker[0];
    const sh = shared[0];
    out.push('', `shared Redis vs per-worker caches: ${sh.design} minted ${count(sh.tokensIssued)} tokens, ${pw.design} ${count(pw.tokensIssued)}: ` +
      `${(pw.tokensIssued / sh.tokensIssued).toFixed(2)}× fewer (model ${(pw.expected.tokens / sh.expected.tokens).toFixed(2)}×; ` +
      `with ${o.workers} workers each worker's cache mints its own token per trust, the shared one mints one for all)`);
  }
  const losses = r.designs.filter((d) => d.loss);
  if (losses.length) {
    const l0 = losses[0].loss!;
    out.push('', `memcached pool of ${l0.poolSize} private servers, clients failing over (a dead server's keys rehash to the next); ` +
      `its first server killed (SIGKILL) at ${o.killServerAt} of each run:`);
    for (const d of losses) {
      const l = d.loss!;
      const a = agreement(d);
      const signed = (v: number, digits = 0) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
      out.push(`  ${d.design}: killed at ${l.atPeriods.toFixed(2)} P (pid ${l.server.pid}); ` +
        `${l.trustsOnServer === null ? 'which trusts it held: unknown (the design has no storeServer)' : `${l.trustsOnServer} of ${o.trusts} trusts' records were on it`}; ` +
        `${d.errors ? `${d.errors} errors` : 'no errors, the run went on'}`);
      out.push(`    tokens ${count(d.tokensIssued)}${d.concurrentMints ? ` (dup ${d.concurrentMints})` : ''}, ` +
        `model without the failure ${d.expected.tokens.toFixed(1)}: extra ${signed(l.extraVsModel, 1)}; ` +
        `replay without the failure ${count(d.replay.tokens)}: extra ${signed(l.extraVsReplay)}; ` +
        (l.predictedExtra === null ? 'no prediction'
          : `predicted extra ${signed(l.predictedExtra)} (replay with its keys dropped at the kill: ${count(l.replayWithLoss!)}) → ` +
            `${a.lossOk ? 'within' : 'OUTSIDE'} ${LOSS_TOLERANCE * 100} % (or ${LOSS_SLACK_TOKENS} tokens)`));
      if (l.earlyRemints !== null) {
        out.push(`    ${l.earlyRemints} of its trusts were notified again while their token was still valid and re-minted early` +
          `${l.modelEarlyRemints === null ? '' : ` (model, steady state: ${l.modelEarlyRemints.toFixed(1)})`}; ` +
          'their later renewals came earlier too, so the net extra over the run is at most that');
      }
    }
  }
  const entries = r.designs.filter((d) => d.model !== 'none');
  if (entries.length) {
    out.push('entries per worker at the end: ' +
      entries.map((d) => `${d.design} model ${d.expected.entriesPerWorker.toFixed(1)}, simulated ${d.entriesPerWorker.join('/')}`).join('; '));
  }
  out.push('',
    'model      = expectedTokens() for this run: every cache starts empty, a token serves P, single-flight; Poisson or tick arrivals,',
    '             or for episodes the evaluation lattice (LRU: Che\'s approximation)',
    'noise      = sd of the replay over other seeds: how far from the model a correct run of this size lands by chance',
    'replay     = this very stream through the caching rule (no clock, no processes): simulated − replay is what the code adds',
    'simulated  = tokens the Keystone stand-in issued while the workers ran the stream (warm-up excluded)',
    `dup        = shared designs: mints for a trust that overlapped another worker's mint for it (0 unless a design double-mints:`,
    '             an instant with one trust at two workers is handed out one worker after the other)',
    'vs replay  = (simulated − dup) − replay; vs model = (simulated − dup) / model − 1',
    `verdict    = agrees when (simulated − dup) is within ${AGREEMENT_TOLERANCE * 100} % of the model (${LRU_TOLERANCE * 100} % with lru, Che's approximation; ` +
      'or within 3 sd of noise for small runs)',
    ...(losses.length ? [
      'extra      = tokens a killed server cost: (simulated − dup) − the model or the replay, both without the failure;',
      '             with a prediction the verdict compares (simulated − dup − predicted extra) with the model, and the extra with its prediction',
    ] : []),
    `wall time ${secs(r.wallMs)}`);
  return out.join('\n') + '\n';
}

/** The whole CLI; returns the exit status. */
export async function simulateMain(argv: string[]): Promise<number> {
  const parsed = parseSimulateArgs(argv);
  if (parsed === 'help') {
    process.stdout.write(SIMULATE_HELP);
    return 0;
  }
  const json = 'json' in parsed;
  const options = json ? parsed.options : parsed;
  let result: SimResult;
  const stop = new AbortController();
  try {
    const catalog = await builtinCatalog((options as { designModules?: string[] }).designModules ?? []);
    // Ctrl-C / SIGTERM: stop between instants (or noise seeds), let the finally blocks stop every process, and
    // exit with the shell's code for the signal
    const off = onInterrupt(() => stop.abort());
    try {
      result = await runSimulation({ ...options, catalog, signal: stop.signal, note: (l) => process.stderr.write(`${l}\n`) });
    } finally {
      off();
    }
  } catch (err) {
    const sig = interruptedBy();
    if (stop.signal.aborted && sig) {
      process.stderr.write(`simulation interrupted (${sig}): every worker and store server stopped, nothing printed\n`);
      return exitCodeFor(sig);
    }
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : formatSimulation(result));
  return result.designs.every((d) => agreement(d).ok) ? 0 : 1;
}
