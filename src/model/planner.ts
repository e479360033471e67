// Which measured design fits a deployment: for each design in a results file, the tokens and validations a day
// it causes (token model, src/model/tokens.ts, via the named scenarios of src/model/scenarios.ts) and the memory
// it takes per notifier worker (the model's entries × the design's headline bytes, src/analysis/headline.ts),
// whether that fits a per-worker budget, and which design to pick. Pure: no I/O; bench/plan.ts reads the file
// and src/report/planner-render.ts / src/report/planner-html.ts format the plan.
//
// Memory per worker:
// - per-worker topology: entries the worker caches after a day × the design's headline bytes per entry;
// - shared topology: the in-process handle (headline bytes) × the same entries, in every worker, plus the store's
//   bytes per key (perObject.storeUsedMemory) × the keys alive, paid once on the store's hosts — reported beside
//   the worker's memory, not counted against the worker budget.
// Tokens and entries come from the evaluator's tick lattice (src/model/firing.ts) under the deployment's firing
// model and eviction policy. A design fits when its memory fits the budget and its open descriptors (measured
// per entry × entries per worker) stay under --fd-limit. Shared designs also carry what Keystone sees while
// their store is down: every notification mints (the whole store), or, for one of K pool servers with the
// clients failing over, a burst of early re-mints over the next usable period.
// The recommendation (recommend(), callable on any subset of rows, e.g. one runtime's): among the designs whose
// figures are resolved and that fit, the fewest tokens/day; ties (designs of one topology mint the same tokens)
// go to the least memory per worker, then the smaller store, then the id. A design whose figure is not resolved
// is listed as such and never recommended.
import { isResolved } from '../analysis/headline.ts';
import type { Topology } from '../designs/contract.ts';
import { formatBytes as mb } from '../util/units.ts';
import type { DesignResult, Results } from '../results/schema.ts';
import { cacheOf, perObjectCost } from './results-model.ts';
import { SCENARIO_TEXT, scenarioParams, validationsPerDay, type ScenarioName } from './scenarios.ts';
import { DAY_S, POST_SCENARIO } from './tokens.ts';
import {
  DEFAULT_EPISODE_MINUTES, DEFAULT_FIRING_MODEL, EVICTION_NONE, activeShare, cacheRates, coverTicks, earlyRemintShare, evictionText,
  latticeOutcome, receptionOn, trustChain, type Eviction, type FiringModel,
} from './firing.ts';
import { keystoneRow, type KeystoneCapacity, type KeystoneCosts, type KeystoneRow } from './keystone.ts';

export const MIB = 1024 * 1024;

export interface Deployment {
  scenario: ScenarioName;
  alarms: number;
  /** share of alarms with trust+ actions, 0..1 */
  trustShare: number;
  /** post scenario only: trusts the alarms share (the post's 10,000) */
  trusts?: number;
  /** share of those alarms firing per evaluation, 0..1 */
  firingFraction: number;
  evaluationIntervalS: number;
  hosts: number;
  workersPerHost: number;
  /** memory budget for the cache, per notifier worker, bytes */
  budgetBytes: number;
  tokenLifetimeS: number;
  /** keystoneauth re-authenticates this long before expires_at (not a flag: keystoneauth's fixed 120 s) */
  refreshMarginS: number;
  firingModel: FiringModel;
  /** episodes: mean time an alarm stays in the alarm state */
  episodeMinutes: number;
  eviction: Eviction;
  /** open file descriptors a notifier worker may hold (ulimit -n) */
  fdLimit: number;
  /** servers of the shared store (a memcached pool hashed client-side): one of them lost is 1/K of the keys */
  storeServers: number;
}

const BASE = {
  alarms: POST_SCENARIO.alarms,
  trustShare: 1,
  firingFraction: POST_SCENARIO.firingFraction,
  evaluationIntervalS: POST_SCENARIO.evaluationIntervalS,
  hosts: 1,
  // the post's "several" notifiers, as in the token model (POST_SCENARIO.workers = 4)
  workersPerHost: POST_SCENARIO.workers,
  budgetBytes: 512 * MIB,
  tokenLifetimeS: POST_SCENARIO.tokenLifetimeS,
  refreshMarginS: POST_SCENARIO.refreshMarginS,
  firingModel: DEFAULT_FIRING_MODEL,
  episodeMinutes: DEFAULT_EPISODE_MINUTES,
  eviction: EVICTION_NONE,
  // the usual soft `ulimit -n`
  fdLimit: 1024,
  // kolla-ansible and openstack-ansible run memcached on each of three controllers
  storeServers: 3,
} as const;

/** The default scenario: one trust per alarm, as Aodh creates them since Ocata. */
export const DEFAULT_SCENARIO: ScenarioName = 'trust-per-alarm';

/** The two scenarios' deployments: the post's numbers; 512 MB per worker is our assumption, not the post's. */
export const PRESETS: Readonly<Record<ScenarioName, Readonly<Deployment>>> = Object.freeze({
  'post': Object.freeze({ ...BASE, scenario: 'post' as const, trusts: POST_SCENARIO.trusts }),
  'trust-per-alarm': Object.freeze({ ...BASE, scenario: 'trust-per-alarm' as const }),
});

export type { Topology };

export interface PlanRow {
  id: string;
  title: string;
  topology: Topology;
  status: DesignResult['status'];
  /** false: some figure the memory needs is not resolved (or the design was not measured); see `why` */
  resolved: boolean;
  why?: string;
  /** in-process bytes per cached entry: the design's headline figure */
  bytesPerEntry: number | null;
  bytesMetric: string | null;
  /** shared: the store's bytes per key */
  storeBytesPerKey: number | null;
  tokensPerDay: number;
  validationsPerDay: number;
  shareOfNoCache: number;
  entriesPerWorker: number;
  memoryPerWorker: number | null;
  /** shared: keys alive in the store, and their bytes, paid once */
  storeKeys: number | null;
  storeBytes: number | null;
  /** open descriptors per entry as measured (a count, resolved or flat at exactly 0); null when not known */
  fdsPerEntry: number | null;
  fdsPerWorker: number | null;
  /** false when fdsPerWorker passes the fd limit */
  fdsFit: boolean | null;
  /** null when not resolved: a design without a figure neither fits nor fails; false when memory or fds do not fit */
  fits: boolean | null;
  /** shared designs: tokens/s Keystone sees normally, with the whole store down, and in the usable period after
   * one of K servers is lost (clients failing over to the survivors) */
  storeDown?: { normalPerS: number; wholeStorePerS: number; oneServer: { servers: number; extraTokens: number; perS: number } | null };
  /** with Keystone's measured costs: what this design's tokens cost Keystone (src/model/keystone.ts) */
  keystoneCores?: KeystoneRow['keystoneCores'];
  keystone?: KeystoneRow;
}

/** Keystone's measured costs and what is available to it, for the planner's Keystone columns. */
export interface KeystoneInput {
  costs: KeystoneCosts;
  capacity: KeystoneCapacity;
}

export interface Plan {
  deployment: Deployment;
  workers: number;
  /** alarms with trust actions (those that mint tokens), and the trusts they use (cache entries) */
  alarmsWithTrustActions: number;
  trusts: number;
  noCache: { tokensPerDay: number; validationsPerDay: number; keystoneCores?: KeystoneRow['keystoneCores']; keystone?: KeystoneRow };
  keystoneCosts?: KeystoneInput;
  rows: PlanRow[];
  /** what the rows assume: the firing model and the eviction policy in force */
  assumptions: { firingModel: FiringModel; episodeMinutes: number | null; eviction: string; idleLimitS: number | null };
  recommendation: { id: string; reason: string } | null;
  /** why nothing is recommended, when nothing is */
  noRecommendation?: string;
  /** ids of designs listed as not resolved */
  notResolved: string[];
}

export const scenarioText = (s: ScenarioName): string => SCENARIO_TEXT[s];

const count = (v: number) => Math.round(v).toLocaleString('en-US');

/** Throws RangeError for a deployment the arithmetic cannot mean (the CLI turns it into a usage error). */
export function validateDeployment(d: Deployment): void {
  const need = (ok: boolean, msg: string) => {
    if (!ok) throw new RangeError(msg);
  };
  need(Number.isSafeInteger(d.hosts) && d.hosts >= 1, `hosts must be a whole number ≥ 1 (got ${d.hosts})`);
  need(Number.isSafeInteger(d.workersPerHost) && d.workersPerHost >= 1, `workers per host must be a whole number ≥ 1 (got ${d.workersPerHost})`);
  need(Number.isSafeInteger(d.hosts * d.workersPerHost), 'hosts × workers per host is too large');
  need(Number.isFinite(d.budgetBytes) && d.budgetBytes > 0 && d.budgetBytes <= MAX_BUDGET_MB * MIB, `budget must be > 0 and ≤ ${MAX_BUDGET_MB} MB (got ${d.budgetBytes / MIB})`);
  need(Number.isFinite(d.evaluationIntervalS) && d.evaluationIntervalS >= 1 && d.evaluationIntervalS <= DAY_S, `evaluation interval must be 1 s to 1 day (got ${d.evaluationIntervalS})`);
  need(Number.isSafeInteger(d.fdLimit) && d.fdLimit >= 1, `fd limit must be a whole number ≥ 1 (got ${d.fdLimit})`);
  need(Number.isSafeInteger(d.storeServers) && d.storeServers >= 1, `store servers must be a whole number ≥ 1 (got ${d.storeServers})`);
  const ticks = (d.tokenLifetimeS - d.refreshMarginS) / d.evaluationIntervalS;
  need(ticks <= MAX_TICKS_PER_PERIOD, `at most ${MAX_TICKS_PER_PERIOD} evaluations per usable token period (token lifetime ${d.tokenLifetimeS} s, interval ${d.evaluationIntervalS} s: ${Math.round(ticks)})`);
}

/** Bounds of the arithmetic: a petabyte per worker; evaluations per token period the lattice handles quickly. */
export const MAX_BUDGET_MB = 1e9;
export const MAX_TICKS_PER_PERIOD = 4000;

/** Open descriptors per entry: a resolved slope, or exactly 0 when the count never moved in any trial. */
function fdsPerEntry(design: DesignResult): number | null {
  const f = design.perObject.fds;
  if (!f) return null;
  const resolved: boolean = isResolved(f);
  if (resolved) return Math.max(0, f.bytes);
  const flat = f.bytes === 0 && f.ci95[0] === 0 && f.ci95[1] === 0 && (f.trialSlopes ?? []).every((x) => x === 0);
  return flat ? 0 : null;
}

export function plan(results: Pick<Results, 'designs'> & Partial<Pick<Results, 'notifier' | 'latency'>>, d: Deployment, ks?: KeystoneInput): Plan {
  validateDeployment(d);
  const workers = d.hosts * d.workersPerHost;
  const params = scenarioParams({ scenario: d.scenario, alarms: d.alarms, trustShare: d.trustShare, trusts: d.trusts },
    { firingFraction: d.firingFraction, evaluationIntervalS: d.evaluationIntervalS, tokenLifetimeS: d.tokenLifetimeS, refreshMarginS: d.refreshMarginS });
  if (params.trusts > params.alarms) {
    throw new RangeError(`${count(params.trusts)} trusts for ${count(params.alarms)} alarms with trust actions: a trust without an alarm has nothing to notify`);
  }
  const ticksPerDay = DAY_S / d.evaluationIntervalS;
  const noCacheTokens = params.alarms * d.firingFraction * ticksPerDay;
  const usablePeriodS = d.tokenLifetimeS - d.refreshMarginS;
  const firing = { model: d.firingModel, fraction: d.firingFraction, episodeMinutes: d.episodeMinutes };
  const lattice = (topology: Topology) => latticeOutcome({
    firing, intervalS: d.evaluationIntervalS, usablePeriodS, trusts: params.trusts, alarmsPerTrust: params.alarms / params.trusts,
    workers, topology, eviction: d.eviction, horizonTicks: ticksPerDay,
  });
  const byTopology = { 'per-worker': lattice('per-worker'), 'shared': lattice('shared') };
  const perDay = (t: Topology) => byTopology[t].mintsPerTick * ticksPerDay;

  // the store's loss, for shared designs
  const chain = trustChain(firing, d.evaluationIntervalS, params.alarms / params.trusts);
  const storeChain = { chain, rho: receptionOn(d.firingFraction, params.alarms / params.trusts, 1, workers), cover: coverTicks(usablePeriodS, d.evaluationIntervalS) };
  const active = params.trusts * activeShare(chain);
  const normalPerS = perDay('shared') / DAY_S;
  const extra = d.storeServers > 1 && cacheRates(storeChain).mintsPerTick > 0 ? (active / d.storeServers) * earlyRemintShare(storeChain) : 0;
  const storeDown = {
    normalPerS, wholeStorePerS: noCacheTokens / DAY_S,
    oneServer: d.storeServers > 1 ? { servers: d.storeServers, extraTokens: extra, perS: normalPerS + extra / usablePeriodS } : null,
  };

  const seen = new Set<string>();
  const rows: PlanRow[] = results.designs.map((design) => {
    const topology = cacheOf(design) as Topology;
    const m = byTopology[topology];
    const measured = design.status === 'ok' || design.status === 'partial';
    const duplicate = seen.has(design.id);
    seen.add(design.id);
    const headline = measured && !duplicate ? perObjectCost(design as DesignResult) : null;
    // a file is user input: a figure that is not a positive finite number is no figure to plan with
    const cost = headline && Number.isFinite(headline.bytes) && headline.bytes > 0 ? headline : null;
    const storeSlope = design.perObject.storeUsedMemory;
    const store = topology === 'shared' && measured && isResolved(storeSlope) && Number.isFinite(storeSlope.bytes) && storeSlope.bytes > 0 ? storeSlope.bytes : null;
    const why = duplicate ? 'listed twice in the results: only its first row counts'
      : !measured ? `not measured (${design.status})`
        : headline && !cost ? `per-entry figure ${headline.bytes} is not a positive number`
          : !cost ? 'per-entry memory not resolved at the measured N'
          : topology === 'shared' && store === null ? `store bytes per key ${storeSlope ? 'not resolved' : 'not measured'}` : undefined;
    const resolved = why === undefined;
    const memoryPerWorker = resolved ? m.entriesPerWorker * cost!.bytes : null;
    const storeKeys = topology === 'shared' ? m.liveTrusts : null;
    const fds = measured && !duplicate ? fdsPerEntry(design as DesignResult) : null;
    const fdsPerWorker = fds === null ? null : fds * m.entriesPerWorker;
    const fdsFit = fdsPerWorker === null ? null : fdsPerWorker <= d.fdLimit;
    const tokensPerDay = perDay(topology);
    return {
      id: design.id, title: design.title, topology, status: design.status, resolved, ...(why ? { why } : {}),
      bytesPerEntry: cost?.bytes ?? null, bytesMetric: cost?.metric ?? null, storeBytesPerKey: store,
      tokensPerDay, validationsPerDay: validationsPerDay(tokensPerDay), shareOfNoCache: noCacheTokens > 0 ? tokensPerDay / noCacheTokens : 0,
      entriesPerWorker: m.entriesPerWorker, memoryPerWorker,
      storeKeys, storeBytes: store !== null && storeKeys !== null ? store * storeKeys : null,
      fdsPerEntry: fds, fdsPerWorker, fdsFit,
      fits: memoryPerWorker === null ? null : memoryPerWorker <= d.budgetBytes && fdsFit !== false,
      ...(topology === 'shared' ? { storeDown } : {}),
    };
  });
  const notResolved = rows.filter((x) => !x.resolved).map((x) => x.id);
  const idle = byTopology['per-worker'].idleLimitTicks;
  const ksNone = ks ? keystoneCosts(results, d, ks, rows, { notificationsPerDay: noCacheTokens, trusts: active, workers }) : undefined;
  return {
    deployment: { ...d }, workers, alarmsWithTrustActions: params.alarms, trusts: params.trusts,
    noCache: { tokensPerDay: noCacheTokens, validationsPerDay: validationsPerDay(noCacheTokens), ...(ksNone ? { keystoneCores: ksNone.keystoneCores, keystone: ksNone } : {}) },
    ...(ks ? { keystoneCosts: ks } : {}),
    rows,
    assumptions: {
      firingModel: d.firingModel, episodeMinutes: d.firingModel === 'episodes' ? d.episodeMinutes : null, eviction: evictionText(d.eviction),
      idleLimitS: idle === undefined ? null : idle * d.evaluationIntervalS,
    },
    ...recommend(rows, d, noCacheTokens), notResolved,
  };
}

/**
 * Keystone's side (src/model/keystone.ts): every row gets the cores its tokens and validations cost Keystone; the
 * row of no cache is returned. A design that overloads Keystone no longer fits (recommend() skips it).
 */
function keystoneCosts(results: Partial<Pick<Results, 'notifier' | 'latency'>>, d: Deployment, ks: KeystoneInput, rows: PlanRow[],
  t: { notificationsPerDay: number; trusts: number; workers: number }): KeystoneRow {
  const traffic = { notificationsPerDay: t.notificationsPerDay, notificationsPerTick: t.notificationsPerDay * d.evaluationIntervalS / DAY_S,
    evaluationIntervalS: d.evaluationIntervalS, workers: t.workers, trusts: t.trusts, notifierMs: results.notifier?.msPerNotification ?? null };
  for (const x of rows) {
    const hit = results.latency?.find((l) => l.design === x.id && /cached hit/.test(l.name))?.p50Ms ?? null;
    x.keystone = keystoneRow(traffic, x.topology, x.tokensPerDay, x.validationsPerDay, hit, ks.costs, ks.capacity);
    x.keystoneCores = x.keystone.keystoneCores;
  }
  return keystoneRow(traffic, 'none', t.notificationsPerDay, validationsPerDay(t.notificationsPerDay), null, ks.costs, ks.capacity);
}

const pctText = (v: number) => `${Number((v * 100).toPrecision(2))} %`;

/**
 * The recommendation among `rows` (all designs, or one runtime's): the fewest tokens/day of those that fit; ties
 * by memory per worker, then store size, then id. Without a fitting design, why not.
 */
export function recommend(rows: readonly PlanRow[], d: Pick<Deployment, 'budgetBytes' | 'fdLimit'>, noCacheTokensPerDay: number):
  { recommendation: Plan['recommendation']; noRecommendation?: string } {
  const same = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  const order = (a: PlanRow, b: PlanRow) => (!same(a.tokensPerDay, b.tokensPerDay) ? a.tokensPerDay - b.tokensPerDay
    : a.memoryPerWorker! !== b.memoryPerWorker! ? a.memoryPerWorker! - b.memoryPerWorker!
      : (a.storeBytes ?? 0) !== (b.storeBytes ?? 0) ? (a.storeBytes ?? 0) - (b.storeBytes ?? 0) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const fitting = rows.filter((x) => x.fits === true && !x.keystone?.overloaded).sort(order);
  const overloading = rows.filter((x) => x.fits === true && x.keystone?.overloaded);
  const budget = mb(d.budgetBytes);
  const limits = `${budget} and ${count(d.fdLimit)} descriptors per worker`;
  if (fitting.length > 0) {
    const best = fitting[0];
    const tied = fitting.slice(1).filter((x) => same(x.tokensPerDay, best.tokensPerDay));
    let reason = fitting.length === 1
      ? `the only design that fits ${limits} with its figures resolved; ${count(best.tokensPerDay)} tokens/day`
      : `fewest tokens/day (${count(best.tokensPerDay)}) of the ${fitting.length} designs that fit ${limits}`;
    if (tied.length > 0) {
      reason += `; tied on tokens with ${tied.map((x) => x.id).join(', ')}, chosen by memory per worker ` +
        `(${mb(best.memoryPerWorker!)} vs ${tied.map((x) => mb(x.memoryPerWorker!)).join(', ')})`;
    }
    if (best.topology === 'shared' && best.storeBytes !== null) {
      reason += `; needs a shared store holding ${mb(best.storeBytes)} (${count(best.storeKeys ?? 0)} keys), paid once`;
    }
    if (best.keystone) {
      const k = best.keystone;
      reason += `; Keystone ${k.utilization === null ? 'capacity unknown' : `at ${pctText(k.utilization)} of its capacity`} ` +
        `(${k.keystoneCores.average.toPrecision(2)} cores on average)` + (overloading.length ? `; ${overloading.map((x) => x.id).join(', ')} would overload it` : '');
    }
    return { recommendation: { id: best.id, reason } };
  }
  if (overloading.length) {
    return {
      recommendation: null,
      noRecommendation: `every design that fits ${limits} overloads Keystone (${overloading.map((x) => x.id).join(', ')}): ` +
        'more Keystone cores or hosts (--keystone-cores, --keystone-hosts) are needed',
    };
  }
  const sized = rows.filter((x) => x.memoryPerWorker !== null).sort((a, b) => a.memoryPerWorker! - b.memoryPerWorker!);
  const overFds = sized.filter((x) => x.fdsFit === false);
  return {
    recommendation: null,
    noRecommendation: sized.length === 0
      ? 'no design has resolved figures: nothing can be recommended on numbers the results do not have'
      : `no measured design fits ${limits}: the smallest, ${sized[0].id}, needs ${mb(sized[0].memoryPerWorker!)}` +
        `${overFds.length ? `; over the descriptor limit: ${overFds.map((x) => `${x.id} (${count(x.fdsPerWorker!)})`).join(', ')}` : ''}; ` +
        `without a cache: ${count(noCacheTokensPerDay)} tokens/day`,
  };
}
