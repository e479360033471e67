// `npm run simulate -- [flags]` (also `npm run model -- --simulate [flags]`): runs the token simulation
// (src/simulate/run.ts) and prints, per design, the model's expectation beside the tokens the stand-in issued.
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';
import { num } from './flags.ts';
import { AGREEMENT_TOLERANCE, LOSS_SLACK_TOKENS, LOSS_TOLERANCE, agreement } from '../model/sim-agreement.ts';
import {
  MAX_MEMCACHED_POOL, SIM_DEFAULTS, SIM_DESIGNS, builtinCatalog, runSimulation, type SimDesign, type SimOptions, type SimResult,
} from '../simulate/run.ts';

export const SIMULATE_HELP = `usage: npm run simulate -- [options]     (or: npm run model -- --simulate [options])

Runs W notifier worker processes with the real cache designs against the embedded Keystone stand-in, on an
accelerated clock, and compares the tokens the stand-in issued with the token model (expectedTokens).
  --designs LIST     comma-separated: ${SIM_DESIGNS.join(', ')}, a --design-module's id, or all
  --design-module P  a node design module of your own (repeatable; see README "Measure your own design")
                     (default ${SIM_DEFAULTS.designs.join(',')})
  --workers N        notifier processes (default ${SIM_DEFAULTS.workers})
  --trusts N         trusts in the stream (default ${SIM_DEFAULTS.trusts})
  --rate R           notifications per trust per usable token period, all workers together (default ${SIM_DEFAULTS.notificationsPerTrustPerPeriod})
  --periods P        usable token periods of notifications per trust (default ${SIM_DEFAULTS.periods}; the run lasts P + 1)
  --period-ms MS     real time one usable period lasts: sets the clock's speed-up (default ${SIM_DEFAULTS.periodMs})
  --lifetime S       token lifetime on the accelerated clock, seconds (default ${SIM_DEFAULTS.tokenLifetimeS}; margin is keystoneauth's 120 s)
  --stream K         poisson | ticks (a notification every 1/R period; R must not be whole) (default ${SIM_DEFAULTS.stream})
  --routing K        random | round-robin (ticks only: fully deterministic, the model is exact) (default ${SIM_DEFAULTS.routing})
  --seed N           stream seed (default ${SIM_DEFAULTS.seed})
  --noise-runs N     seeds for the sampling-noise estimate (default ${SIM_DEFAULTS.noiseRuns})
  --memcached-pool N private memcached servers the workers share, keys hashed over them client-side, a dead
                     server's keys rehashed to the next (2..${MAX_MEMCACHED_POOL}; default ${SIM_DEFAULTS.memcachedPool}: one server, no failover);
                     without --designs the run is memcached-handle
  --kill-server-at F kill the pool's first server (SIGKILL) at fraction F of each memcached design's run
                     (0 < F < 1; needs --memcached-pool 2 or more) and report the extra tokens it cost beside
                     the replay's prediction (the stream replayed with that server's keys dropped at the kill)
  --json             the whole result as JSON
  --help             this text
Exit status 1 when a design does not agree with the model (see the verdict column), 2 on a usage error.
`;


export function parseSimulateArgs(argv: string[]): SimOptions | 'help' | { json: true; options: SimOptions } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries([
        ...['designs', 'workers', 'trusts', 'rate', 'periods', 'period-ms', 'lifetime', 'stream', 'routing', 'seed', 'noise-runs',
          'memcached-pool', 'kill-server-at']
          .map((k) => [k, { type: 'string' as const }]),
        ['json', { type: 'boolean' as const }], ['help', { type: 'boolean' as const }],
        ['design-module', { type: 'string' as const, multiple: true }],
      ]),
    }) as { values: Record<string, string | boolean | undefined> });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) return 'help';
  const s = (k: string) => values[k] as string | undefined;
  const memcachedPool = num('memcached-pool', s('memcached-pool'));
  let designs = memcachedPool !== undefined && memcachedPool > 1 ? ['memcached-handle'] : SIM_DEFAULTS.designs;
  if (s('designs') !== undefined) {
    const list = s('designs')!.split(',').map((d) => d.trim()).filter(Boolean);
    designs = list.includes('all') ? [...SIM_DESIGNS] : (list as SimDesign[]);
  }
  const picked = Object.fromEntries(Object.entries({
    workers: num('workers', s('workers')),
    trusts: num('trusts', s('trusts')),
    notificationsPerTrustPerPeriod: num('rate', s('rate')),
    periods: num('periods', s('periods')),
    periodMs: num('period-ms', s('period-ms')),
    tokenLifetimeS: num('lifetime', s('lifetime')),
    seed: num('seed', s('seed')),
    noiseRuns: num('noise-runs', s('noise-runs')),
    memcachedPool,
    killServerAt: num('kill-server-at', s('kill-server-at')),
    stream: s('stream'),
    routing: s('routing'),
  }).filter(([, v]) => v !== undefined));
  const options = { ...SIM_DEFAULTS, ...picked, designs, designModules: (values['design-module'] as unknown as string[] | undefined) ?? [] } as SimOptions & { designModules: string[] };
  return values.json ? { json: true, options } : options;
}

const count = (v: number) => Math.round(v).toLocaleString('en-US');
const signedPct = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(2)} %`;
const secs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 || i === r.length - 1 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

export function formatSimulation(r: SimResult): string {
  const o = r.options;
  const realMs = (virtualS: number) => (virtualS * 1000) / r.speedup;
  const out: string[] = [
    `token simulation: ${o.workers} worker processes, ${count(o.trusts)} trusts, ${o.notificationsPerTrustPerPeriod} notifications per trust per usable ` +
      `period (${o.stream === 'poisson' ? 'Poisson' : 'ticks'}, ${o.routing} routing), ${o.periods} periods per trust, seed ${o.seed}`,
    `clock ×${Math.round(r.speedup)}: token lifetime ${o.tokenLifetimeS} s → ${secs(realMs(o.tokenLifetimeS))} real, refresh margin ` +
      `${r.refreshMarginS} s → ${secs(realMs(r.refreshMarginS))}, usable period P = ${r.usablePeriodS} s → ${secs(o.periodMs)}`,
    '',
  ];
  const rows = r.designs.map((d) => {
    const a = agreement(d, o.periodMs);
    const noise = d.noiseSd > 0 ? `±${d.noiseSd.toFixed(1)} (${((d.noiseSd / d.expected.tokens) * 100).toFixed(2)} %)` : 'exact';
    const verdict = d.errors ? `FAILED: ${d.errors} errors (${d.firstError ?? ''})`
      : `${a.ok ? 'agrees' : 'DIFFERS'}${a.z === null ? '' : ` (${a.z >= 0 ? '+' : '−'}${Math.abs(a.z).toFixed(1)} sd)`}${a.late ? ', workers late' : ''}`;
    const vsReplay = a.singleFlightTokens - d.replay.tokens;
    return [d.design, d.model, count(d.notifications), count(d.expected.tokens), noise, count(d.replay.tokens), count(d.tokensIssued),
      d.model === 'shared' ? count(d.concurrentMints) : '–', `${vsReplay >= 0 ? '+' : '−'}${count(Math.abs(vsReplay))}`,
      signedPct(a.deviation), `${Math.round(d.lagMs[1])} ms`, verdict];
  });
  out.push(...table(['design', 'cache', 'notifications', 'model', 'noise (1 sd)', 'replay', 'simulated', 'dup', 'vs replay', 'vs model',
    'lag p99', 'verdict'], rows));

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
      const a = agreement(d, o.periodMs);
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
        out.push(`    ${l.earlyRemints} of its trusts were notified again while their token was still valid and re-minted early; ` +
          'their later renewals came earlier too, so the net extra over the run is at most that');
      }
    }
  }
  const entries = r.designs.filter((d) => d.model !== 'none');
  if (entries.length) {
    const e = entries[0];
    out.push(`entries per worker at the end: model ${e.expected.entriesPerWorker.toFixed(1)}, simulated ` +
      entries.map((d) => `${d.design} ${d.entriesPerWorker.join('/')}`).join(', '));
  }
  out.push('',
    'model      = expectedTokens() for this run: every cache starts empty, a token serves P, Poisson (or tick) arrivals, single-flight',
    'noise      = sd of the replay over other seeds: how far from the model a correct run of this size lands by chance',
    'replay     = this very stream through the caching rule (no clock, no processes): simulated − replay is what the code adds',
    'simulated  = tokens the Keystone stand-in issued while the workers ran the stream (warm-up excluded)',
    `dup        = shared designs: mints for a trust that overlapped another worker's mint for it (no cross-worker lock);`,
    `             the accelerated clock inflates them: a mint takes ~2 ms of a ${secs(o.periodMs)} period here, ~26 ms of 3480 s in production`,
    'vs replay  = (simulated − dup) − replay; vs model = (simulated − dup) / model − 1',
    `verdict    = agrees when (simulated − dup) is within ${AGREEMENT_TOLERANCE * 100} % of the model (or within 3 sd of noise for small runs)`,
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
  try {
    const catalog = await builtinCatalog((options as { designModules?: string[] }).designModules ?? []);
    result = await runSimulation({ ...options, catalog, note: (l) => process.stderr.write(`${l}\n`) });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : formatSimulation(result));
  return result.designs.every((d) => agreement(d, options.periodMs).ok) ? 0 : 1;
}
