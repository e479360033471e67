// The decision: which design to adopt per runtime — python (what Aodh, a python service, can adopt) and node — for
// one deployment, with the figures that decide it, and why every other measured design loses. The planner
// (./planner.ts) is asked once per runtime with only that runtime's designs, so "python" never gets a node answer.
// Pure: no I/O, no wording; src/report/decision-render.ts words it for the report, the summary, the terminal and
// `npm run plan`.
import { isResolved } from '../analysis/headline.ts';
import type { Runtime } from '../designs/descriptor.ts';
import type { KeystoneCpu } from '../results/keystone-load.ts';
import type { DesignResult, Results } from '../results/schema.ts';
import { plan, type Deployment, type KeystoneInput, type Plan, type PlanRow } from './planner.ts';

export type { Runtime } from '../designs/descriptor.ts';
export type { KeystoneCpu } from '../results/keystone-load.ts';
export type RuntimeChoice = Runtime | 'any';
export const RUNTIMES: readonly Runtime[] = ['python', 'node'];
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ['python', 'node', 'any'];

/** A results file from before designs carried a runtime held node designs only. */
export const runtimeOf = (d: Pick<DesignResult, 'runtime'>): Runtime => d.runtime ?? 'node';

/** Average Keystone cores a day's tokens and validations keep busy. */
export function keystoneCores(k: KeystoneCpu, tokensPerDay: number, validationsPerDay: number): number {
  return (tokensPerDay * k.msPerToken + validationsPerDay * (k.msPerValidation ?? 0)) / 1000 / 86_400;
}

/** Each runtime's plan (and 'any': every design), the planner called once per runtime. */
export function plansByRuntime(results: Pick<Results, 'designs'> & Partial<Pick<Results, 'notifier' | 'latency'>>, d: Deployment, ks?: KeystoneInput): Record<RuntimeChoice, Plan> {
  const of = (rt: RuntimeChoice): Plan => {
    const designs = results.designs.filter((x) => rt === 'any' || runtimeOf(x) === rt);
    const p = plan({ ...results, designs }, d, ks);
    return designs.length === 0 ? { ...p, noRecommendation: `no ${rt} design in the results` } : p;
  };
  return { python: of('python'), node: of('node'), any: of('any') };
}

/** Sockets a cached entry keeps open: its resolved slope; 0 when the count never moved in any trial; else null. */
export function socketsPerEntry(d: Pick<DesignResult, 'perObject'>): number | null {
  const s = d.perObject.sockets;
  if (!s) return null;
  // a count that never moved has CI [0, 0] and is "not resolved" by the growth rule, yet it is a measured 0
  const flat = s.bytes === 0 && s.ci95[0] === 0 && s.ci95[1] === 0 && (s.trialSlopes ?? [0]).every((v: number) => v === 0);
  return isResolved(s) ? s.bytes : flat ? 0 : null;
}

export interface Choice {
  runtime: Runtime;
  id: string;
  title: string;
  topology: PlanRow['topology'];
  /** the store a shared design keeps its records in (results' `store`) */
  store: string | null;
  bytesPerEntry: number;
  bytesMetric: string | null;
  entriesPerWorker: number;
  memoryPerWorker: number;
  tokensPerDay: number;
  /** no-cache tokens/day minus this design's */
  tokensSavedPerDay: number;
  /** the saving as a share of the no-cache tokens, 0..1 */
  savedShare: number;
  storeBytes: number | null;
  storeKeys: number | null;
  storeBytesPerKey: number | null;
  /** open sockets per cached entry (null: not measured or not resolved) */
  socketsPerEntry: number | null;
  /** average Keystone cores, when Keystone's CPU per operation is known */
  keystoneCores?: number;
}

/** Why a design is not the choice of its runtime, against that runtime's choice (or why nothing was chosen). */
export type Loss =
  | { kind: 'not-resolved'; why: string }
  | { kind: 'over-budget'; memoryPerWorker: number; budget: number }
  /** the planner says it does not fit for a reason other than memory (its `why`) */
  | { kind: 'does-not-fit'; why: string }
  | { kind: 'more-tokens'; tokensPerDay: number; than: string; thanTokensPerDay: number }
  | { kind: 'more-memory'; memoryPerWorker: number; than: string; thanMemoryPerWorker: number }
  | { kind: 'larger-store'; storeBytes: number; than: string; thanStoreBytes: number };

export interface Loser {
  id: string;
  runtime: Runtime;
  loss: Loss;
  /** open sockets a worker would hold for its cached entries (only when the design keeps sockets per entry) */
  socketsPerWorker?: number;
}

export interface Decision {
  deployment: Deployment;
  workers: number;
  alarmsWithTrustActions: number;
  trusts: number;
  /** the firing model and eviction the figures assume (every output names them) */
  assumptions: Plan['assumptions'];
  noCacheTokensPerDay: number;
  noCacheKeystoneCores?: number;
  keystoneSource?: string;
  /** per runtime: the choice, or why there is none */
  choices: Record<Runtime, Choice | { none: string }>;
  losers: Loser[];
}

const SAME = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Why `row` is not its runtime's choice `best`, in the planner's order: resolved, fits, tokens, memory, store. */
export function lossOf(row: PlanRow, best: PlanRow | undefined, budget: number): Loss {
  if (!row.resolved || row.memoryPerWorker === null) return { kind: 'not-resolved', why: row.why ?? 'per-entry memory not resolved' };
  if (row.fits === false) {
    return row.memoryPerWorker > budget ? { kind: 'over-budget', memoryPerWorker: row.memoryPerWorker, budget }
      : { kind: 'does-not-fit', why: row.why ?? (row.fdsFit === false
        ? `${Math.round(row.fdsPerWorker!).toLocaleString('en-US')} open descriptors per worker, over the descriptor limit`
        : 'does not fit the deployment') };
  }
  if (best && !SAME(row.tokensPerDay, best.tokensPerDay)) {
    return { kind: 'more-tokens', tokensPerDay: row.tokensPerDay, than: best.id, thanTokensPerDay: best.tokensPerDay };
  }
  if (best && row.memoryPerWorker !== best.memoryPerWorker) {
    return { kind: 'more-memory', memoryPerWorker: row.memoryPerWorker, than: best.id, thanMemoryPerWorker: best.memoryPerWorker! };
  }
  return { kind: 'larger-store', storeBytes: row.storeBytes ?? 0, than: best?.id ?? '', thanStoreBytes: best?.storeBytes ?? 0 };
}

/** The decision for a deployment: one choice per runtime from that runtime's plan, and each other design's loss. */
export function decide(results: Pick<Results, 'designs'>, d: Deployment, keystone?: KeystoneCpu): Decision {
  const plans = plansByRuntime(results, d);
  const byId = new Map(results.designs.map((x) => [x.id, x]));
  const cores = (t: number, v: number) => (keystone ? { keystoneCores: keystoneCores(keystone, t, v) } : {});
  const choices = {} as Decision['choices'];
  const losers: Loser[] = [];
  for (const rt of RUNTIMES) {
    const p = plans[rt];
    const best = p.recommendation ? p.rows.find((x) => x.id === p.recommendation!.id) : undefined;
    if (best && best.memoryPerWorker !== null && best.bytesPerEntry !== null) {
      const design = byId.get(best.id)!;
      choices[rt] = {
        runtime: rt, id: best.id, title: best.title, topology: best.topology, store: design.store ?? null,
        bytesPerEntry: best.bytesPerEntry, bytesMetric: best.bytesMetric, entriesPerWorker: best.entriesPerWorker,
        memoryPerWorker: best.memoryPerWorker, tokensPerDay: best.tokensPerDay,
        tokensSavedPerDay: p.noCache.tokensPerDay - best.tokensPerDay,
        savedShare: p.noCache.tokensPerDay > 0 ? 1 - best.tokensPerDay / p.noCache.tokensPerDay : 0,
        storeBytes: best.storeBytes, storeKeys: best.storeKeys, storeBytesPerKey: best.storeBytesPerKey,
        socketsPerEntry: socketsPerEntry(design), ...cores(best.tokensPerDay, best.validationsPerDay),
      };
    } else {
      choices[rt] = { none: p.noRecommendation ?? 'nothing fits' };
    }
    for (const row of p.rows) {
      if (row.id === best?.id) continue;
      const sockets = socketsPerEntry(byId.get(row.id)!);
      losers.push({
        id: row.id, runtime: rt, loss: lossOf(row, best, d.budgetBytes),
        ...(sockets ? { socketsPerWorker: sockets * row.entriesPerWorker } : {}),
      });
    }
  }
  const any = plans.any;
  return {
    deployment: { ...d }, workers: any.workers, alarmsWithTrustActions: any.alarmsWithTrustActions, trusts: any.trusts, assumptions: any.assumptions, noCacheTokensPerDay: any.noCache.tokensPerDay,
    ...(keystone ? { noCacheKeystoneCores: keystoneCores(keystone, any.noCache.tokensPerDay, any.noCache.validationsPerDay), keystoneSource: keystone.source } : {}),
    choices, losers,
  };
}
