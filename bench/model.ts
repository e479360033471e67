// `npm run model -- [flags]`: the post's token arithmetic for any variant of its scenario, per design, with the
// formulas printed next to the post's own figures. All arithmetic lives in src/model/tokens.ts; this file only
// parses flags, optionally reads measured per-object costs from a results file, and formats.
import { readResults } from '../src/results/read.ts';
import { parseArgs } from 'node:util';
import { runMain, UsageError } from '../src/cli/errors.ts';
import { num, oneOf } from '../src/cli/flags.ts';
import { POST_REFERENCE } from '../src/results/schema.ts';
import type { Results } from '../src/results/schema.ts';
import { perObjectCost } from '../src/model/results-model.ts';
import {
  DESIGNS, POST_ESTIMATES, POST_SCENARIO, describeScenario, modelScenario,
  type Design, type ScenarioParams, type ScenarioResult,
} from '../src/model/tokens.ts';
import { DEFAULT_TRUST_SHARE, SCENARIO_NAMES, scenarioParams, validationsPerDay } from '../src/model/scenarios.ts';

const HELP = `usage: npm run model -- [options]

Tokens/day and cache memory for the 2015 post's alarm-notifier scenario (defaults = the post's numbers).
  --scenario S           post (the alarms share --trusts trusts, the post's assumption) | trust-per-alarm (Aodh
                         since Ocata: one trust per alarm with a trust+ action, so trusts = alarms × trust share)
                         (default post)
  --alarms N             alarms (default ${POST_SCENARIO.alarms})
  --trust-share F        share of alarms with trust+ actions, 0..1: only they mint tokens (default ${DEFAULT_TRUST_SHARE})
  --firing F             share of alarms firing per evaluation, 0..1 (default ${POST_SCENARIO.firingFraction})
  --repeat post|worst    worst = every alarm repeats its action at every evaluation (default post)
  --interval S           evaluation interval, seconds (default ${POST_SCENARIO.evaluationIntervalS})
  --trusts N             trusts, post scenario only (default ${POST_SCENARIO.trusts})
  --workers N            notifier processes (default ${POST_SCENARIO.workers}; the post says "several")
  --lifetime S           token lifetime, seconds (default ${POST_SCENARIO.tokenLifetimeS})
  --margin S             refresh margin before expiry, seconds (default ${POST_SCENARIO.refreshMarginS}, keystoneauth)
  --design D             none | per-worker | shared | all (default all)
  --token-model M        renewal (exact for Poisson arrivals) | window (upper bound) (default renewal)
  --bytes-per-object B   in-process bytes per cached entry, for the per-worker design
  --redis-bytes-per-key B  bytes per key in the shared store, for the shared design
  --in PATH              a results JSON: each measured design's figure (as the report picks it: RSS when
                         resolved, else the heap) and the store's bytes per key (--results: the same)
  --json                 machine-readable output

Validations/day: every new token is a miss in keystonemiddleware's token cache at the receiving API, so it is
validated once: validations/day = tokens/day (a lower bound; reuse past the middleware's 300 s cache revalidates).
  --simulate             run the simulation with real worker processes instead (npm run model -- --simulate --help)
  --help                 this text
`;




interface Measured {
  id: string;
  status: string;
  /** the design's headline figure (the report's rule: src/analysis/headline.ts); null when none is resolved */
  perObject: { bytes: number; metric: string } | null;
  /** headline per object × entries a per-worker cache holds */
  perWorker: number | null;
  redisPerKey: number | null;
  /** redis used_memory per key × live keys in the shared store */
  redisStore: number | null;
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function measuredRows(results: Results, perWorker: ScenarioResult, shared: ScenarioResult): Measured[] {
  return results.designs.map((d) => {
    const cost = perObjectCost(d);
    const redis = finite(d.perObject.storeUsedMemory?.bytes);
    return {
      id: d.id, status: d.status, perObject: cost,
      perWorker: cost === null ? null : cost.bytes * perWorker.cacheEntriesPerWorker,
      redisPerKey: redis, redisStore: redis === null || shared.sharedStoreKeys === null ? null : redis * shared.sharedStoreKeys,
    };
  });
}

const count = (v: number) => Math.round(v).toLocaleString('en-US');
const mb = (b: number | null) => (b === null ? '–' : `${(b / 1048576).toFixed(1)} MB`);
const bytes = (b: number | null) => (b === null ? '–' : b >= 1024 ? `${(b / 1024).toFixed(1)} KB` : `${Math.round(b)} B`);
const pct = (v: number) => `${Number((v * 100).toPrecision(3))} %`;

function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

async function main(): Promise<number> {
  // `npm run model -- --simulate [flags]`: the simulation of the model with real processes, its own flags
  const argv = process.argv.slice(2);
  if (argv.includes('--simulate')) {
    const { simulateMain } = await import('../src/cli/simulate-cli.ts');
    return simulateMain(argv.filter((a) => a !== '--simulate'));
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries([
        ...['scenario', 'trust-share', 'alarms', 'firing', 'repeat', 'interval', 'trusts', 'workers', 'lifetime', 'margin', 'design', 'token-model',
          'bytes-per-object', 'redis-bytes-per-key', 'results', 'in'].map((k) => [k, { type: 'string' as const }]),
        ['json', { type: 'boolean' as const }], ['help', { type: 'boolean' as const }],
      ]),
    }));
  } catch (err) {
    // parseArgs throws TypeErrors with codes ERR_PARSE_ARGS_*: that is the user's input, not a bug
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see --help)`);
  }
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const s = (k: string) => v[k] as string | undefined;
  const scenario = oneOf('scenario', s('scenario'), SCENARIO_NAMES) ?? 'post';
  const trustShare = num('trust-share', s('trust-share')) ?? DEFAULT_TRUST_SHARE;
  const flagged: Partial<ScenarioParams> = Object.fromEntries(Object.entries({
    alarms: num('alarms', s('alarms')),
    firingFraction: num('firing', s('firing')),
    repeatActions: oneOf('repeat', s('repeat'), ['post', 'worst'] as const),
    evaluationIntervalS: num('interval', s('interval')),
    trusts: num('trusts', s('trusts')),
    workers: num('workers', s('workers')),
    tokenLifetimeS: num('lifetime', s('lifetime')),
    refreshMarginS: num('margin', s('margin')),
    tokenModel: oneOf('token-model', s('token-model'), ['renewal', 'window'] as const),
  }).filter(([, x]) => x !== undefined));
  // the scenario decides which alarms mint tokens (those with trust actions) and how many trusts they use
  let params: ScenarioParams;
  const { alarms: flaggedAlarms, trusts: flaggedTrusts, ...rest } = flagged;
  try {
    params = scenarioParams({ scenario, alarms: flaggedAlarms ?? POST_SCENARIO.alarms, trustShare, trusts: flaggedTrusts }, rest);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  const designArg = oneOf('design', s('design'), [...DESIGNS, 'all'] as const) ?? 'all';
  const bytesPerObject = num('bytes-per-object', s('bytes-per-object'));
  const redisBytesPerKey = num('redis-bytes-per-key', s('redis-bytes-per-key'));

  // The library validates ranges with RangeError; here they are the user's mistake.
  const model = (p: Partial<ScenarioParams>) => {
    try {
      return modelScenario({ ...params, ...p });
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    }
  };
  // bytes-per-object is what one worker keeps per trust in the per-worker design; the shared design keeps a
  // different (smaller) handle, so the flag is not applied to it.
  const all: Record<Design, ScenarioResult> = {
    'none': model({ design: 'none' }),
    'per-worker': model({ design: 'per-worker', bytesPerObject }),
    'shared': model({ design: 'shared', redisBytesPerKey }),
  };
  const shown = designArg === 'all' ? [...DESIGNS] : [designArg];
  const inPath = s('in') ?? s('results');
  const measured = inPath ? measuredRows(readResults(inPath), all['per-worker'], all.shared) : undefined;
  const worst = model({ design: 'none', repeatActions: 'worst' });
  const comparison = {
    noCache: { post: POST_ESTIMATES.noCachePerDay, model: all.none.tokensPerDay },
    worstCaseNoCache: { post: POST_ESTIMATES.worstCasePerDay, model: worst.tokensPerDay },
    cached: { post: POST_ESTIMATES.cachedPerDay, postShare: POST_ESTIMATES.cachedShareOfNoCache,
      model: all['per-worker'].tokensPerDay, modelShare: all['per-worker'].shareOfNoCache },
  };

  const scenarioInfo = { name: scenario, alarms: flaggedAlarms ?? POST_SCENARIO.alarms, trustShare,
    alarmsWithTrustActions: params.alarms, trusts: params.trusts };
  if (v.json) {
    process.stdout.write(JSON.stringify({ scenario: scenarioInfo,
      designs: shown.map((d) => ({ ...all[d], validationsPerDay: validationsPerDay(all[d].tokensPerDay) })), comparison, measured }, null, 2) + '\n');
    return 0;
  }
  const p = all.none.params;
  const alarmsText = trustShare === 1 ? `${count(p.alarms)} alarms` : `${count(scenarioInfo.alarms)} alarms (${count(p.alarms)} with trust actions)`;
  const out: string[] = [
    `scenario${scenario === 'post' ? '' : ` ${scenario}`}: ${alarmsText}, ${p.repeatActions === 'worst' ? 'all' : pct(p.firingFraction)} firing every ${p.evaluationIntervalS} s, ` +
      `${count(p.trusts)} trusts${scenario === 'trust-per-alarm' ? ' (one per alarm with a trust+ action)' : ''}, ${p.workers} workers, token ${p.tokenLifetimeS} s − ${p.refreshMarginS} s margin, ${p.tokenModel} model`,
    '',
    ...table(['design', 'tokens/day', 'of no cache', 'validations/day', 'window bound', 'entries/worker', 'cache/worker', 'shared store'],
      shown.map((d) => {
        const r = all[d];
        return [d, count(r.tokensPerDay), pct(r.shareOfNoCache), count(validationsPerDay(r.tokensPerDay)), count(r.tokensPerDayWindow), count(r.cacheEntriesPerWorker),
          mb(r.cacheBytesPerWorker), r.sharedStoreKeys === null ? '–' : `${count(r.sharedStoreKeys)} keys ${r.sharedStoreBytes === null ? '' : mb(r.sharedStoreBytes)}`.trim()];
      })),
  ];
  const pw = all['per-worker'];
  out.push('', `reference: the post's ${bytes(POST_REFERENCE.bytesPerObject)}/client (python, 2015) × ${count(pw.cacheEntriesPerWorker)} entries = ` +
    `${mb(POST_REFERENCE.bytesPerObject * pw.cacheEntriesPerWorker)} per worker, ${mb(POST_REFERENCE.bytesPerObject * pw.cacheEntriesPerWorker * p.workers)} for ${p.workers} workers`);
  if (measured) {
    out.push('', 'measured per-object costs (results file) × the model\'s entries:');
    out.push(...table(['design', 'status', 'per object', 'per worker', 'store/key', 'store'],
      measured.map((m) => [m.id, m.status, m.perObject ? `${bytes(m.perObject.bytes)} (${m.perObject.metric})` : 'not resolved', mb(m.perWorker), bytes(m.redisPerKey), mb(m.redisStore)])));
  }
  out.push('', 'arithmetic:');
  if (scenario === 'trust-per-alarm') {
    out.push(`trust-per-alarm: one trust per alarm with a trust+ action: ${count(scenarioInfo.alarms)} alarms × trust share ${trustShare} = ${count(p.trusts)} trusts (cache entries)`);
  } else if (trustShare !== 1) {
    out.push(`post: ${count(scenarioInfo.alarms)} alarms × trust share ${trustShare} = ${count(p.alarms)} alarms with trust actions, sharing ${count(p.trusts)} trusts`);
  }
  // the first lines (notifications, period, per-trust rate) are common to every design: print them once
  const printed = new Set<string>();
  for (const d of shown) {
    for (const line of describeScenario(all[d])) if (!printed.has(line)) printed.add(line), out.push(line);
  }
  out.push(`receiving API: each new token is a miss in keystonemiddleware's token cache → validations/day = tokens/day ` +
    `(at least: a token reused after the middleware's 300 s cache time is validated again)`);
  out.push('', `the post vs this model${scenario === 'post' ? '' : ` (${scenario}: the post's figures assumed ${count(POST_SCENARIO.trusts)} shared trusts)`}:`,
    `  no cache:   post ${count(comparison.noCache.post)}/day, model ${count(comparison.noCache.model)}`,
    `  worst case: post ${count(comparison.worstCaseNoCache.post)}/day, model ${count(comparison.worstCaseNoCache.model)}`,
    `  cached:     post ~${count(comparison.cached.post)}/day ("10 %"), model per-worker ${count(comparison.cached.model)} (${pct(comparison.cached.modelShare)}), ` +
      `shared ${count(all.shared.tokensPerDay)} (${pct(all.shared.shareOfNoCache)})`);
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

await runMain(main);
