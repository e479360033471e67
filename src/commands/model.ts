// The model command (`npm run model -- [flags]`): the post's token arithmetic for any variant of its scenario, per cache topology, on the
// evaluator's tick lattice under a firing model and an eviction policy (src/model/firing.ts), with the steps
// printed next to the post's own figures; `--chart` draws tokens/day against the mean episode duration. The
// arithmetic is src/model's; this file parses flags, optionally reads measured per-object costs, and formats.
import { readResults } from '../results/read.ts';
import { UsageError } from '../cli/errors.ts';
import { int, oneOf, parseFlags, real } from '../cli/flags.ts';
import { writeFileAtomic } from '../results/write.ts';
import { POST_REFERENCE } from '../results/schema.ts';
import type { Results } from '../results/schema.ts';
import { cacheOf, perObjectCost } from '../model/results-model.ts';
import { DAY_S, CACHE_KINDS, POST_ESTIMATES, POST_SCENARIO, type CacheKind, type ScenarioParams } from '../model/tokens.ts';
import { DEFAULT_TRUST_SHARE, SCENARIO_NAMES, scenarioParams } from '../model/scenarios.ts';
import { MAX_TICKS_PER_PERIOD } from '../model/planner.ts';
import {
  DEFAULT_EPISODE_MINUTES, DEFAULT_FIRING_MODEL, EVICTION_NONE, FIRING_MODELS, evictionText, explainLattice, latticeOutcome, parseEviction,
  type CacheOutcome, type Eviction,
} from '../model/firing.ts';
import { episodeSweep } from '../model/episode-sweep.ts';
import { episodesChart } from '../report/charts/episodes.ts';
import { renderSvg, svgToPng } from '../report/render.ts';
import { textTable } from '../util/text.ts';

const HELP = `usage: npm run model -- [options]

Tokens/day and cache memory per notifier worker, for one trust per alarm (Aodh since Ocata) or the 2015 post's
shared trusts, counted on the evaluator's ticks under a firing model and an eviction policy.
  --scenario S           trust-per-alarm (one trust per alarm with a trust+ action: trusts = alarms × trust share)
                         | post (the alarms share --trusts trusts, the post's assumption) (default trust-per-alarm)
  --alarms N             alarms, 0..1e9 (default ${POST_SCENARIO.alarms})
  --trust-share F        share of alarms with trust+ actions, 0..1: only they mint tokens (default ${DEFAULT_TRUST_SHARE})
  --firing F             share of alarms firing (notifying) per evaluation, 0..1 (default ${POST_SCENARIO.firingFraction})
  --firing-model M       ${FIRING_MODELS.join(' | ')} (default ${DEFAULT_FIRING_MODEL}: Aodh notifies at every evaluation while an
                         alarm stays in the alarm state, with repeat_actions; see README "Firing models")
  --episode-minutes M    episodes: mean time an alarm stays in the alarm state (default ${DEFAULT_EPISODE_MINUTES})
  --eviction E           none | expired | lru:N (what a worker's cache drops; default none, an upper bound)
  --repeat post|worst    worst = every alarm notifies at every evaluation (firing 1) (default post)
  --interval S           evaluation interval, seconds, 1..86400 (default ${POST_SCENARIO.evaluationIntervalS})
  --trusts N             trusts, post scenario only, at most one per alarm (default ${POST_SCENARIO.trusts})
  --workers N            notifier processes (default ${POST_SCENARIO.workers}; the post says "several")
  --lifetime S           token lifetime, seconds (default ${POST_SCENARIO.tokenLifetimeS})
  --margin S             refresh margin before expiry, seconds (default ${POST_SCENARIO.refreshMarginS}, keystoneauth)
  --design D             none | per-worker | shared | all (default all)
  --bytes-per-object B   in-process bytes per cached entry, for the per-worker design
  --redis-bytes-per-key B  bytes per key in the shared store, for the shared design
  --in PATH              a results JSON: each measured design's figure (as the report picks it: RSS when
                         resolved, else the heap) and the store's bytes per key (--results: the same)
  --chart PATH           also draw tokens/day per topology against the mean episode duration, 1 minute to 1 day
                         (.svg or .png)
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

function measuredRows(results: Results, perWorker: Row, shared: Row): Measured[] {
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

/** Numbers right-aligned: every column but the first. */
const table = (head: string[], rows: string[][]) => textTable(head, rows, (i) => i > 0);

export async function modelMain(argv: string[]): Promise<number> {
  // `npm run model -- --simulate [flags]`: the simulation of the model with real processes, its own flags
  if (argv.includes('--simulate')) {
    const { simulateMain } = await import('./simulate.ts');
    return simulateMain(argv.filter((a) => a !== '--simulate'));
  }
  const { values } = parseFlags(argv, Object.fromEntries([
    ...['scenario', 'trust-share', 'alarms', 'firing', 'repeat', 'interval', 'trusts', 'workers', 'lifetime', 'margin', 'design',
      'bytes-per-object', 'redis-bytes-per-key', 'results', 'in', 'firing-model', 'episode-minutes', 'eviction', 'chart'].map((k) => [k, { type: 'string' as const }]),
    ['json', { type: 'boolean' as const }], ['help', { type: 'boolean' as const }],
  ]));
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const o = modelOptions(v);
  const { scenario, trustShare, repeat, alarms, trusts, firingFraction, evaluationIntervalS, workers, tokenLifetimeS, refreshMarginS, firingModel, episodeMinutes, eviction, params, designArg, bytesPerObject, redisBytesPerKey, chartPath, inPath } = o;
  const usablePeriodS = tokenLifetimeS - refreshMarginS;
  const ticksPerDay = DAY_S / evaluationIntervalS;
  const base = {
    firing: { model: firingModel, fraction: firingFraction, episodeMinutes }, intervalS: evaluationIntervalS, usablePeriodS, trusts: params.trusts,
    alarmsPerTrust: params.alarms / params.trusts, workers, eviction, horizonTicks: ticksPerDay,
  };
  let lattice: Record<'per-worker' | 'shared', CacheOutcome>;
  try {
    lattice = { 'per-worker': latticeOutcome({ ...base, topology: 'per-worker' }), 'shared': latticeOutcome({ ...base, topology: 'shared' }) };
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  const noCache = params.alarms * firingFraction * ticksPerDay;
  const all: Record<CacheKind, Row> = {
    'none': { design: 'none', tokensPerDay: noCache, validationsPerDay: noCache, shareOfNoCache: 1, cacheEntriesPerWorker: 0, cacheBytesPerWorker: 0, sharedStoreKeys: null, sharedStoreBytes: null },
    'per-worker': rowOf('per-worker', lattice['per-worker'], noCache, ticksPerDay, bytesPerObject),
    'shared': rowOf('shared', lattice.shared, noCache, ticksPerDay, undefined, redisBytesPerKey),
  };
  const shown = designArg === 'all' ? [...CACHE_KINDS] : [designArg];
  const results = inPath ? readResults(inPath) : undefined;
  const measured = results ? measuredRows(results, all['per-worker'], all.shared) : undefined;
  const model = { firingModel, episodeMinutes: firingModel === 'episodes' ? episodeMinutes : null, eviction: evictionText(eviction) };
  const scenarioInfo = { name: scenario, alarms, trustShare, alarmsWithTrustActions: params.alarms, trusts: params.trusts };
  const comparison = {
    noCache: { post: POST_ESTIMATES.noCachePerDay, model: noCache },
    worstCaseNoCache: { post: POST_ESTIMATES.worstCasePerDay, model: params.alarms * ticksPerDay },
    cached: { post: POST_ESTIMATES.cachedPerDay, postShare: POST_ESTIMATES.cachedShareOfNoCache,
      model: all['per-worker'].tokensPerDay, modelShare: all['per-worker'].shareOfNoCache },
  };
  if (chartPath !== undefined) {
    const sweep = episodeSweep({ ...base, fraction: firingFraction });
    const designs = results ? {
      'per-worker': results.designs.filter((d) => cacheOf(d) === 'per-worker').map((d) => d.id),
      'shared': results.designs.filter((d) => cacheOf(d) === 'shared').map((d) => d.id),
    } : undefined;
    const chart = episodesChart(sweep, { subtitle: `${scenario}: ${count(params.trusts)} trusts, ${pct(firingFraction)} firing every ${evaluationIntervalS} s, ` +
      `${workers} workers, eviction ${model.eviction}`, designs });
    const svg = await renderSvg(chart.spec);
    writeFileAtomic(chartPath, chartPath.endsWith('.png') ? svgToPng(svg) : svg);
  }
  if (o.json) {
    process.stdout.write(JSON.stringify({ scenario: scenarioInfo, model, designs: shown.map((d) => all[d]), comparison, measured }, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(modelText(o, { ticksPerDay, noCache, all, shown, measured, comparison, base, model }));
  return 0;
}

/** The model's flags, checked (a UsageError for each mistake). */
function modelOptions(v: Record<string, string | boolean | undefined>) {
  const s = (k: string) => v[k] as string | undefined;
  const scenario = oneOf('scenario', s('scenario'), SCENARIO_NAMES) ?? 'trust-per-alarm';
  const trustShare = real('trust-share', s('trust-share'), DEFAULT_TRUST_SHARE, 0, 1);
  const repeat = oneOf('repeat', s('repeat'), ['post', 'worst'] as const) ?? 'post';
  const alarms = int('alarms', s('alarms'), POST_SCENARIO.alarms, 0, 1e9);
  if (s('trusts') !== undefined && scenario !== 'post') throw new UsageError(`--trusts applies to the post scenario only: with ${scenario}, trusts = alarms × trust share`);
  const trusts = s('trusts') === undefined ? undefined : int('trusts', s('trusts'), POST_SCENARIO.trusts, 1, 1e9);
  const firingFraction = repeat === 'worst' ? 1 : real('firing', s('firing'), POST_SCENARIO.firingFraction, 0, 1);
  const evaluationIntervalS = real('interval', s('interval'), POST_SCENARIO.evaluationIntervalS, 1, 86_400);
  const workers = int('workers', s('workers'), POST_SCENARIO.workers, 1, 100_000);
  const tokenLifetimeS = real('lifetime', s('lifetime'), POST_SCENARIO.tokenLifetimeS, 1, 604_800);
  const refreshMarginS = real('margin', s('margin'), POST_SCENARIO.refreshMarginS, 0, 604_800);
  if (!(refreshMarginS < tokenLifetimeS)) throw new UsageError(`--margin (${refreshMarginS} s) must be shorter than the token lifetime (${tokenLifetimeS} s)`);
  if ((tokenLifetimeS - refreshMarginS) / evaluationIntervalS > MAX_TICKS_PER_PERIOD) {
    throw new UsageError(`at most ${MAX_TICKS_PER_PERIOD} evaluations per usable token period (--lifetime − --margin over --interval)`);
  }
  const firingModel = oneOf('firing-model', s('firing-model'), FIRING_MODELS) ?? DEFAULT_FIRING_MODEL;
  const episodeMinutes = real('episode-minutes', s('episode-minutes'), DEFAULT_EPISODE_MINUTES, evaluationIntervalS / 60, 1e6);
  let eviction: Eviction = EVICTION_NONE;
  let params: ScenarioParams;
  try {
    if (s('eviction') !== undefined) eviction = parseEviction(s('eviction')!);
    params = scenarioParams({ scenario, alarms, trustShare, trusts }, { firingFraction, evaluationIntervalS, workers, tokenLifetimeS, refreshMarginS, repeatActions: repeat });
    if (params.trusts > params.alarms) throw new RangeError(`${count(params.trusts)} trusts for ${count(params.alarms)} alarms with trust actions: a trust without an alarm has nothing to notify`);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  const designArg = oneOf('design', s('design'), [...CACHE_KINDS, 'all'] as const) ?? 'all';
  const bytesPerObject = s('bytes-per-object') === undefined ? undefined : real('bytes-per-object', s('bytes-per-object'), 0, 0, 1e12);
  const redisBytesPerKey = s('redis-bytes-per-key') === undefined ? undefined : real('redis-bytes-per-key', s('redis-bytes-per-key'), 0, 0, 1e12);
  const chartPath = s('chart');
  if (chartPath !== undefined && !/\.(svg|png)$/.test(chartPath)) throw new UsageError('--chart needs a path ending in .svg or .png');

  return { scenario, trustShare, repeat, alarms, trusts, firingFraction, evaluationIntervalS, workers, tokenLifetimeS, refreshMarginS, firingModel, episodeMinutes, eviction, params, designArg, bytesPerObject, redisBytesPerKey, chartPath, inPath: s('in') ?? s('results'), json: Boolean(v.json) };
}

type ModelOptions = ReturnType<typeof modelOptions>;

/** The terminal text: the table, the measured costs, the arithmetic step by step, the post beside the model. */
function modelText(o: ModelOptions, m: { ticksPerDay: number; noCache: number; all: Record<CacheKind, Row>; shown: CacheKind[]; measured?: Measured[];
  comparison: { noCache: { post: number; model: number }; worstCaseNoCache: { post: number; model: number }; cached: { post: number; postShare: number; model: number; modelShare: number } };
  base: Parameters<typeof explainLattice>[0]; model: { eviction: string } }): string {
  const { scenario, trustShare, repeat, alarms, firingFraction, evaluationIntervalS, workers, tokenLifetimeS, refreshMarginS, firingModel, episodeMinutes, params, chartPath } = o;
  const { ticksPerDay, noCache, all, shown, measured, comparison, base, model } = m;
  const alarmsText = trustShare === 1 ? `${count(params.alarms)} alarms` : `${count(alarms)} alarms (${count(params.alarms)} with trust actions)`;
  const out: string[] = [
    `scenario ${scenario}: ${alarmsText}, ${repeat === 'worst' ? 'all' : pct(firingFraction)} firing every ${evaluationIntervalS} s, ` +
      `${count(params.trusts)} trusts${scenario === 'trust-per-alarm' ? ' (one per alarm with a trust+ action)' : ''}, ${workers} workers, token ${tokenLifetimeS} s − ${refreshMarginS} s margin`,
    `model: firing ${firingModel}${firingModel === 'episodes' ? ` (episodes of ${episodeMinutes} min mean)` : ''}; eviction ${model.eviction}`,
    '',
    ...table(['design', 'tokens/day', 'of no cache', 'validations/day', 'entries/worker', 'cache/worker', 'shared store'],
      shown.map((d) => {
        const r = all[d];
        return [d, count(r.tokensPerDay), pct(r.shareOfNoCache), count(r.validationsPerDay), count(r.cacheEntriesPerWorker),
          mb(r.cacheBytesPerWorker), r.sharedStoreKeys === null ? '–' : `${count(r.sharedStoreKeys)} keys ${r.sharedStoreBytes === null ? '' : mb(r.sharedStoreBytes)}`.trim()];
      })),
  ];
  const pw = all['per-worker'];
  out.push('', `reference: the post's ${bytes(POST_REFERENCE.bytesPerObject)}/client (python, 2015) × ${count(pw.cacheEntriesPerWorker)} entries = ` +
    `${mb(POST_REFERENCE.bytesPerObject * pw.cacheEntriesPerWorker)} per worker, ${mb(POST_REFERENCE.bytesPerObject * pw.cacheEntriesPerWorker * workers)} for ${workers} workers`);
  if (measured) {
    out.push('', 'measured per-object costs (results file) × the model\'s entries:');
    out.push(...table(['design', 'status', 'per object', 'per worker', 'store/key', 'store'],
      measured.map((m) => [m.id, m.status, m.perObject ? `${bytes(m.perObject.bytes)} (${m.perObject.metric})` : 'not resolved', mb(m.perWorker), bytes(m.redisPerKey), mb(m.redisStore)])));
  }
  out.push('', 'arithmetic:');
  if (scenario === 'trust-per-alarm') {
    out.push(`trust-per-alarm: one trust per alarm with a trust+ action: ${count(alarms)} alarms × trust share ${trustShare} = ${count(params.trusts)} trusts (cache entries)`);
  } else {
    out.push(`post: ${count(alarms)} alarms × trust share ${trustShare} = ${count(params.alarms)} alarms with trust actions, sharing ${count(params.trusts)} trusts`);
  }
  out.push(`notifications/day = ${count(params.alarms)} alarms × ${firingFraction} firing × ${count(ticksPerDay)} evaluations/day = ${count(noCache)} (no cache: a token each)`);
  out.push(...explainLattice(base));
  out.push(`receiving API: each new token is a miss in keystonemiddleware's token cache → validations/day = tokens/day ` +
    `(at least: a token reused after the middleware's 300 s cache time is validated again)`);
  out.push('', `the post vs this model${scenario === 'post' ? '' : ` (${scenario}: the post's figures assumed ${count(POST_SCENARIO.trusts)} shared trusts)`}:`,
    `  no cache:   post ${count(comparison.noCache.post)}/day, model ${count(comparison.noCache.model)}`,
    `  worst case: post ${count(comparison.worstCaseNoCache.post)}/day, model ${count(comparison.worstCaseNoCache.model)}`,
    `  cached:     post ~${count(comparison.cached.post)}/day ("10 %"), model per-worker ${count(comparison.cached.model)} (${pct(comparison.cached.modelShare)}), ` +
      `shared ${count(all.shared.tokensPerDay)} (${pct(all.shared.shareOfNoCache)})`);
  if (chartPath !== undefined) out.push('', `chart: ${chartPath} (tokens/day against mean episode duration, 1 minute to 1 day)`);
  return out.join('\n') + '\n';
}


interface Row {
  design: CacheKind;
  tokensPerDay: number;
  validationsPerDay: number;
  shareOfNoCache: number;
  cacheEntriesPerWorker: number;
  cacheBytesPerWorker: number | null;
  sharedStoreKeys: number | null;
  sharedStoreBytes: number | null;
}

function rowOf(design: 'per-worker' | 'shared', o: CacheOutcome, noCache: number, ticksPerDay: number, bytesPerObject?: number, storeBytesPerKey?: number): Row {
  const tokensPerDay = o.mintsPerTick * ticksPerDay;
  return {
    design, tokensPerDay, validationsPerDay: tokensPerDay, shareOfNoCache: noCache > 0 ? tokensPerDay / noCache : 0,
    cacheEntriesPerWorker: o.entriesPerWorker, cacheBytesPerWorker: bytesPerObject === undefined ? null : bytesPerObject * o.entriesPerWorker,
    sharedStoreKeys: design === 'shared' ? o.liveTrusts : null,
    sharedStoreBytes: design === 'shared' && storeBytesPerKey !== undefined ? storeBytesPerKey * o.liveTrusts : null,
  };
}

