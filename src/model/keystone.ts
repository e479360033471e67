// What a design's tokens cost Keystone, from measured figures (npm run keystone-load): Keystone's CPU per token
// and per validation, and the token capacity one Keystone host sustains. Pure arithmetic; the planner
// (src/model/planner.ts) calls it for no cache and for each design.
//
// - average cores = tokens/s × CPU per token + validations/s × CPU per validation;
// - the evaluation tick: one evaluation's notifications arrive together, so that tick's tokens (all of them with
//   no cache; with a cache the renewals falling due, tokens/s × interval on average) are queued at once. Keystone
//   drains them in work / available cores; the last notification waits that long. "peak" is the cores that drain
//   a tick within the tick window (--tick-window, default 10 s);
// - a notifier restart empties in-process caches: at the first tick every (worker, trust) pair a notification
//   reaches mints (per-worker caches: up to workers × trusts; shared: each trust once, the worst case of a store
//   restarted too), so "coldStart" is that first tick's work over the tick window.
// Available cores: --keystone-cores, or the measured capacity × CPU per token × Keystone hosts (the CPU one host
// really delivers to token work). A design whose average needs more is overloaded: Keystone's queue grows without
// end, the post's "Keystone crash".

export interface KeystoneCosts {
  cpuMsPerToken: number;
  cpuMsPerValidation: number;
  /** tokens/s one Keystone host sustains (the capacity curve's saturation), null if not measured */
  capacityPerS: number | null;
  /** a token's latency with nothing else in flight, ms (concurrency 1, p50) */
  tokenLatencyMs: number | null;
  passwordHashRounds: number | null;
  /** where the figures come from (file, command, date) */
  source: string;
}

export interface KeystoneCapacity {
  /** total Keystone cores, as given (--keystone-cores) */
  cores?: number;
  hosts: number;
  tickWindowS: number;
}

export interface KeystoneLoadFigures {
  tokensPerS: number;
  validationsPerS: number;
  keystoneCores: { average: number; peak: number; coldStart: number };
  tick: { tokens: number; drainS: number | null; latencyS: number | null };
  coldStart: { tokensFirstTick: number; drainS: number | null };
  /** average cores / available cores; null when nothing says what is available */
  utilization: number | null;
  overloaded: boolean;
}

export interface KeystoneTrafficInput {
  tokensPerDay: number;
  validationsPerDay: number;
  /** 'none' (no cache), or the cache's topology */
  design: 'none' | 'per-worker' | 'shared';
  notificationsPerTick: number;
  evaluationIntervalS: number;
  workers: number;
  /** trusts that notify */
  trusts: number;
}

/** Cores available to Keystone: given, or measured capacity × CPU per token × hosts; null when neither is known. */
export function availableCores(c: KeystoneCosts, cap: KeystoneCapacity): number | null {
  if (cap.cores !== undefined) return cap.cores;
  return c.capacityPerS === null ? null : (c.capacityPerS * c.cpuMsPerToken / 1000) * cap.hosts;
}

/** Distinct cache keys N notifications reach, spread at random over `keys` keys: keys × (1 − e^(−N/keys)). */
export const distinctKeys = (n: number, keys: number) => (keys <= 0 ? 0 : keys * -Math.expm1(-n / keys));

export function keystoneLoad(t: KeystoneTrafficInput, c: KeystoneCosts, cap: KeystoneCapacity): KeystoneLoadFigures {
  if (!(c.cpuMsPerToken > 0 && c.cpuMsPerValidation >= 0)) throw new RangeError('Keystone CPU per token must be > 0 and per validation ≥ 0');
  if (!(cap.tickWindowS > 0)) throw new RangeError(`tick window must be > 0 s (got ${cap.tickWindowS})`);
  if (cap.cores !== undefined && !(cap.cores > 0)) throw new RangeError(`Keystone cores must be > 0 (got ${cap.cores})`);
  if (!(Number.isInteger(cap.hosts) && cap.hosts >= 1)) throw new RangeError(`Keystone hosts must be a whole number ≥ 1 (got ${cap.hosts})`);
  const perToken = (c.cpuMsPerToken + c.cpuMsPerValidation) / 1000;
  const tokensPerS = t.tokensPerDay / 86_400;
  const validationsPerS = t.validationsPerDay / 86_400;
  const average = tokensPerS * c.cpuMsPerToken / 1000 + validationsPerS * c.cpuMsPerValidation / 1000;
  const tickTokens = t.design === 'none' ? t.notificationsPerTick : tokensPerS * t.evaluationIntervalS;
  const coldTokens = t.design === 'none' ? t.notificationsPerTick
    : t.design === 'per-worker' ? distinctKeys(t.notificationsPerTick, t.workers * t.trusts) : distinctKeys(t.notificationsPerTick, t.trusts);
  const avail = availableCores(c, cap);
  const drain = (tokens: number) => (avail === null ? null : (tokens * perToken) / avail);
  const utilization = avail === null ? null : average / avail;
  return {
    tokensPerS, validationsPerS,
    keystoneCores: { average, peak: (tickTokens * perToken) / cap.tickWindowS, coldStart: (coldTokens * perToken) / cap.tickWindowS },
    tick: { tokens: tickTokens, drainS: drain(tickTokens), latencyS: drain(tickTokens) },
    coldStart: { tokensFirstTick: coldTokens, drainS: drain(coldTokens) },
    utilization,
    overloaded: utilization !== null && utilization >= 1,
  };
}

/** Notifications/s one notifier worker pushes: its own time per notification plus its share of token waits. */
export function notifierPerWorker(msPerNotification: number, tokensPerNotification: number, tokenLatencyMs: number): number {
  const ms = msPerNotification + tokensPerNotification * tokenLatencyMs;
  return ms > 0 ? 1000 / ms : Infinity;
}

/** The planner's inputs for one deployment (what src/model/planner.ts hands over). */
export interface PlanTraffic {
  notificationsPerDay: number;
  notificationsPerTick: number;
  evaluationIntervalS: number;
  workers: number;
  trusts: number;
  /** Aodh's notifier time per notification without Keystone's own wait, ms (bench results), null if not measured */
  notifierMs: number | null;
}

export interface KeystoneRow extends KeystoneLoadFigures {
  /** notifications/s one notifier worker pushes, and the workers needed to keep up (null: not measured) */
  notifierPerWorkerPerS: number | null;
  workersNeeded: number | null;
}

/** Keystone figures for no cache or one design row; `hitMs`: the design's cached hit (null: unknown). */
export function keystoneRow(
  p: PlanTraffic, design: 'none' | 'per-worker' | 'shared', tokensPerDay: number, validationsPerDay: number, hitMs: number | null,
  c: KeystoneCosts, cap: KeystoneCapacity,
): KeystoneRow {
  const load = keystoneLoad({ tokensPerDay, validationsPerDay, design, notificationsPerTick: p.notificationsPerTick,
    evaluationIntervalS: p.evaluationIntervalS, workers: p.workers, trusts: p.trusts }, c, cap);
  const own = design === 'none' ? p.notifierMs : hitMs;
  const perWorker = own === null || c.tokenLatencyMs === null || p.notificationsPerDay === 0 ? null
    : notifierPerWorker(own, tokensPerDay / p.notificationsPerDay, c.tokenLatencyMs);
  const demand = p.notificationsPerDay / 86_400;
  return { ...load, notifierPerWorkerPerS: perWorker, workersNeeded: perWorker === null ? null : Math.ceil(demand / perWorker) };
}
