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
// The recommendation: among the designs whose figures are resolved and that fit the budget, the fewest
// tokens/day; ties (designs of one topology mint the same tokens) go to the least memory per worker, then the
// smaller store, then the id. A design whose figure is not resolved is listed as such and never recommended.
import { isResolved } from '../analysis/headline.ts';
import { formatBytes as mb } from '../util/units.ts';
import type { DesignResult, Results } from '../results/schema.ts';
import { cacheOf, perObjectCost } from './results-model.ts';
import { SCENARIO_TEXT, modelNamedScenario, type ScenarioName } from './scenarios.ts';
import { POST_SCENARIO } from './tokens.ts';
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
} as const;

/** The two scenarios' deployments: the post's numbers; 512 MB per worker is our assumption, not the post's. */
export const PRESETS: Readonly<Record<ScenarioName, Readonly<Deployment>>> = Object.freeze({
  'post': Object.freeze({ ...BASE, scenario: 'post' as const, trusts: POST_SCENARIO.trusts }),
  'trust-per-alarm': Object.freeze({ ...BASE, scenario: 'trust-per-alarm' as const }),
});

/** The scenario `npm run plan` and the report's decision use when none is named. */
export const DEFAULT_SCENARIO: ScenarioName = 'post';

export type Topology = 'per-worker' | 'shared';

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
  /** null when not resolved: a design without a figure neither fits nor fails */
  fits: boolean | null;
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
  need(Number.isFinite(d.budgetBytes) && d.budgetBytes > 0, `budget must be > 0 MB (got ${d.budgetBytes / MIB})`);
}

const pctText = (v: number) => `${Number((v * 100).toPrecision(2))} %`;

/** What Keystone's headroom adds to the recommendation's reason. */
function keystoneReason(k: KeystoneRow, rows: PlanRow[]): string {
  const over = rows.filter((x) => x.keystone?.overloaded && x.fits).map((x) => x.id);
  return `; Keystone ${k.utilization === null ? 'capacity unknown' : `at ${pctText(k.utilization)} of its capacity`} ` +
    `(${k.keystoneCores.average.toPrecision(2)} cores on average)` + (over.length ? `; ${over.join(', ')} would overload it` : '');
}

export function plan(results: Pick<Results, 'designs'> & Partial<Pick<Results, 'notifier' | 'latency'>>, d: Deployment, ks?: KeystoneInput): Plan {
  validateDeployment(d);
  const workers = d.hosts * d.workersPerHost;
  const run = (design: 'none' | Topology) => modelNamedScenario(
    { scenario: d.scenario, alarms: d.alarms, trustShare: d.trustShare, trusts: d.trusts },
    { design, workers, firingFraction: d.firingFraction, evaluationIntervalS: d.evaluationIntervalS,
      tokenLifetimeS: d.tokenLifetimeS, refreshMarginS: d.refreshMarginS, tokenModel: 'renewal', repeatActions: 'post' });
  const none = run('none');
  const byTopology = { 'per-worker': run('per-worker'), 'shared': run('shared') };

  const rows: PlanRow[] = results.designs.map((design) => {
    const topology = cacheOf(design) as Topology;
    const m = byTopology[topology];
    const measured = design.status === 'ok' || design.status === 'partial';
    const cost = measured ? perObjectCost(design as DesignResult) : null;
    const storeSlope = design.perObject.storeUsedMemory;
    const store = topology === 'shared' && measured && isResolved(storeSlope) ? storeSlope.bytes : null;
    const why = !measured ? `not measured (${design.status})`
      : !cost ? 'per-entry memory not resolved at the measured N'
        : topology === 'shared' && store === null ? `store bytes per key ${storeSlope ? 'not resolved' : 'not measured'}` : undefined;
    const resolved = why === undefined;
    const memoryPerWorker = resolved ? m.cacheEntriesPerWorker * cost!.bytes : null;
    const storeKeys = topology === 'shared' ? m.sharedStoreKeys : null;
    return {
      id: design.id, title: design.title, topology, status: design.status, resolved, ...(why ? { why } : {}),
      bytesPerEntry: cost?.bytes ?? null, bytesMetric: cost?.metric ?? null, storeBytesPerKey: store,
      tokensPerDay: m.tokensPerDay, validationsPerDay: m.validationsPerDay, shareOfNoCache: m.shareOfNoCache,
      entriesPerWorker: m.cacheEntriesPerWorker, memoryPerWorker,
      storeKeys, storeBytes: store !== null && storeKeys !== null ? store * storeKeys : null,
      fits: memoryPerWorker === null ? null : memoryPerWorker <= d.budgetBytes,
    };
  });

  const same = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  const order = (a: PlanRow, b: PlanRow) => (!same(a.tokensPerDay, b.tokensPerDay) ? a.tokensPerDay - b.tokensPerDay
    : a.memoryPerWorker! !== b.memoryPerWorker! ? a.memoryPerWorker! - b.memoryPerWorker!
      : (a.storeBytes ?? 0) !== (b.storeBytes ?? 0) ? (a.storeBytes ?? 0) - (b.storeBytes ?? 0) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  // Keystone: every row gets its cores; a design that overloads Keystone is not recommended
  const traffic = { notificationsPerDay: none.notificationsPerDay, notificationsPerTick: none.notificationsPerDay * d.evaluationIntervalS / 86_400,
    evaluationIntervalS: d.evaluationIntervalS, workers, trusts: none.activeTrusts, notifierMs: results.notifier?.msPerNotification ?? null };
  const ksNone = ks && keystoneRow(traffic, 'none', none.tokensPerDay, none.validationsPerDay, null, ks.costs, ks.capacity);
  if (ks) {
    for (const x of rows) {
      const hit = results.latency?.find((l) => l.design === x.id && /cached hit/.test(l.name))?.p50Ms ?? null;
      x.keystone = keystoneRow(traffic, x.topology, x.tokensPerDay, x.validationsPerDay, hit, ks.costs, ks.capacity);
      x.keystoneCores = x.keystone.keystoneCores;
    }
  }
  const fitting = rows.filter((x) => x.fits === true && !x.keystone?.overloaded).sort(order);
  const notResolved = rows.filter((x) => !x.resolved).map((x) => x.id);
  const budget = mb(d.budgetBytes);

  let recommendation: Plan['recommendation'] = null;
  let noRecommendation: string | undefined;
  if (fitting.length > 0) {
    const best = fitting[0];
    const tied = fitting.slice(1).filter((x) => same(x.tokensPerDay, best.tokensPerDay));
    let reason = fitting.length === 1
      ? `the only design that fits ${budget} per worker with its figures resolved; ${count(best.tokensPerDay)} tokens/day`
      : `fewest tokens/day (${count(best.tokensPerDay)}) of the ${fitting.length} designs that fit ${budget} per worker`;
    if (tied.length > 0) {
      reason += `; tied on tokens with ${tied.map((x) => x.id).join(', ')}, chosen by memory per worker ` +
        `(${mb(best.memoryPerWorker!)} vs ${tied.map((x) => mb(x.memoryPerWorker!)).join(', ')})`;
    }
    if (best.topology === 'shared' && best.storeBytes !== null) {
      reason += `; needs a shared store holding ${mb(best.storeBytes)} (${count(best.storeKeys ?? 0)} keys), paid once`;
    }
    if (best.keystone) reason += keystoneReason(best.keystone, rows);
    recommendation = { id: best.id, reason };
  } else {
    const sized = rows.filter((x) => x.memoryPerWorker !== null).sort((a, b) => a.memoryPerWorker! - b.memoryPerWorker!);
    const overloading = rows.filter((x) => x.fits === true && x.keystone?.overloaded);
    noRecommendation = overloading.length ? `every design that fits ${budget} per worker overloads Keystone (${overloading.map((x) => x.id).join(', ')}): ` +
        'more Keystone cores or hosts (--keystone-cores, --keystone-hosts) are needed'
      : sized.length === 0
      ? 'no design has resolved figures: nothing can be recommended on numbers the results do not have'
      : `no measured design fits ${budget} per worker: the smallest, ${sized[0].id}, needs ${mb(sized[0].memoryPerWorker!)}; ` +
        `without a cache: ${count(none.tokensPerDay)} tokens/day`;
  }
  return {
    deployment: { ...d }, workers, alarmsWithTrustActions: none.params.alarms, trusts: none.params.trusts,
    noCache: { tokensPerDay: none.tokensPerDay, validationsPerDay: none.validationsPerDay, ...(ksNone ? { keystoneCores: ksNone.keystoneCores, keystone: ksNone } : {}) },
    ...(ks ? { keystoneCosts: ks } : {}),
    rows, recommendation, ...(noRecommendation ? { noRecommendation } : {}), notResolved,
  };
}
