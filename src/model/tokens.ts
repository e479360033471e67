// Token economics of the 2015 post (its scenario opens the README): how many Keystone tokens a day the alarm
// notifier mints with no cache, with one cache per notifier worker, and with one cache shared by all workers,
// and how much memory those caches hold. Pure arithmetic, no I/O: the CLI (bench/model.ts), the report and a
// later simulation all call the same functions, so every figure has one derivation.
//
// Assumptions shared by every function here (each is stated where it is used, too):
// - alarms are spread evenly over the trusts, and the alarms that fire are a fresh random sample at each
//   evaluation, so every trust receives notifications at the same average rate (no hot trusts);
// - a notification goes to one worker chosen uniformly at random (a shared queue), independently of the others;
// - a cached token is used while its age ≤ lifetime − margin (keystoneauth's will_expire_soon: re-auth once
//   expires_at < now + 120 s), and is re-minted only when a notification needs it after that;
// - in-process caches never evict (the post keeps a client per trust forever); a shared store's keys expire
//   with the token (Redis EX), so it holds only trusts with a live token;
// - minting is single-flight per key: concurrent misses for one trust in one cache mint one token.

import { EVICTION_NONE, coverTicks, expectedEpisodeRun, type Eviction } from './firing.ts';

import type { CacheKind } from '../results/model-section.ts';

export type { CacheKind };
export const CACHE_KINDS: readonly CacheKind[] = ['none', 'per-worker', 'shared'];
/** 'post': `firingFraction` of the alarms fire at each evaluation; 'worst': every alarm repeats its action. */
export type RepeatActions = 'post' | 'worst';
/** 'renewal': exact steady state for Poisson arrivals; 'window': the fixed-window estimate, an upper bound. */
export type TokenModel = 'renewal' | 'window';

export interface ScenarioParams {
  alarms: number;
  /** share of alarms that fire (and notify) at each evaluation, 0..1; ignored when repeatActions = 'worst' */
  firingFraction: number;
  evaluationIntervalS: number;
  repeatActions: RepeatActions;
  trusts: number;
  /** notifier processes, each with its own cache in the 'per-worker' design */
  workers: number;
  tokenLifetimeS: number;
  /** keystoneauth re-authenticates this long before expires_at */
  refreshMarginS: number;
  design: CacheKind;
  tokenModel: TokenModel;
  /** measured in-process bytes per cached entry (full client, token record or Redis handle) */
  bytesPerObject?: number;
  /** measured bytes per key in the shared store (Redis used_memory slope) */
  redisBytesPerKey?: number;
}

export const DAY_S = 86_400;

/** The post's scenario. 4 workers is our assumption: the post says only "several" notifiers. */
export const POST_SCENARIO: Readonly<ScenarioParams> = Object.freeze({
  alarms: 1_000_000,
  firingFraction: 0.01,
  evaluationIntervalS: 60,
  repeatActions: 'post',
  trusts: 10_000,
  workers: 4,
  tokenLifetimeS: 3600,
  refreshMarginS: 120,
  design: 'per-worker',
  tokenModel: 'renewal',
});

/** The post's own figures, to compare against (not inputs to anything). */
export const POST_ESTIMATES = Object.freeze({
  noCachePerDay: 14_400_000, // "more than 14 millions"
  worstCasePerDay: 1_440_000_000, // "more than one billion"
  cachedPerDay: 1_000_000, // "only one million tokens"
  cachedShareOfNoCache: 0.1, // "only 10 % of current amount" (1 M / 14.4 M is really 6.9 %)
});

export interface ScenarioResult {
  params: ScenarioParams;
  usablePeriodS: number;
  notificationsPerDay: number;
  /** trusts that own at least one alarm: min(trusts, alarms) */
  activeTrusts: number;
  notificationsPerTrustPerDay: number;
  /** caches that each mint their own token for a trust: workers ('per-worker'), 1 ('shared'), 0 ('none') */
  cachesPerTrust: number;
  tokensPerDay: number;
  /** the same design under the other token model, for comparison */
  tokensPerDayRenewal: number;
  tokensPerDayWindow: number;
  noCacheTokensPerDay: number;
  shareOfNoCache: number;
  /** in-process entries a worker holds at the end of a day (trusts it has seen) */
  cacheEntriesPerWorker: number;
  cacheBytesPerWorker: number | null;
  /** 'shared' only: keys alive in the store × redisBytesPerKey */
  sharedStoreKeys: number | null;
  sharedStoreBytes: number | null;
  /** one line per step of arithmetic */
  explanation: string[];
}

/**
 * Expected tokens one cache mints for one trust per usable period P, given x = expected notifications for that
 * trust reaching that cache per P.
 * - renewal: after a mint the token serves P seconds, then the next notification (Poisson, mean wait P/x)
 *   mints again, so a cycle lasts P + P/x and the rate is x / (1 + x) per P. Exact in steady state.
 * - window: cut time into windows of P and count the windows with ≥ 1 notification, 1 − e^(−x). It treats a
 *   token as if it expired at the window's end, so it over-counts: 1 − e^(−x) ≥ x / (1 + x) for all x ≥ 0.
 * Both tend to x (every notification mints) for small x and to 1 (one token per P) for large x.
 */
export function mintsPerPeriod(x: number, model: TokenModel): number {
  if (!(x > 0)) return 0;
  return model === 'window' ? -Math.expm1(-x) : x / (1 + x);
}

/** Throws RangeError for values the arithmetic cannot mean (the CLI turns it into a usage error). */
export function validateScenario(p: ScenarioParams): void {
  const need = (ok: boolean, msg: string) => {
    if (!ok) throw new RangeError(msg);
  };
  const int = (v: number) => Number.isSafeInteger(v);
  need(int(p.alarms) && p.alarms >= 0, `alarms must be a whole number ≥ 0 (got ${p.alarms})`);
  need(p.firingFraction >= 0 && p.firingFraction <= 1, `firing fraction must be within 0..1 (got ${p.firingFraction})`);
  need(Number.isFinite(p.evaluationIntervalS) && p.evaluationIntervalS > 0, `evaluation interval must be > 0 s (got ${p.evaluationIntervalS})`);
  need(p.repeatActions === 'post' || p.repeatActions === 'worst', `repeat actions must be post or worst (got ${p.repeatActions})`);
  need(int(p.trusts) && p.trusts >= 1, `trusts must be a whole number ≥ 1 (got ${p.trusts})`);
  need(int(p.workers) && p.workers >= 1, `workers must be a whole number ≥ 1 (got ${p.workers})`);
  need(Number.isFinite(p.tokenLifetimeS) && p.tokenLifetimeS > 0, `token lifetime must be > 0 s (got ${p.tokenLifetimeS})`);
  need(Number.isFinite(p.refreshMarginS) && p.refreshMarginS >= 0, `refresh margin must be ≥ 0 s (got ${p.refreshMarginS})`);
  need(p.refreshMarginS < p.tokenLifetimeS, `refresh margin (${p.refreshMarginS} s) must be shorter than the token lifetime (${p.tokenLifetimeS} s)`);
  need((CACHE_KINDS as readonly string[]).includes(p.design), `design must be one of ${CACHE_KINDS.join(', ')} (got ${p.design})`);
  need(p.tokenModel === 'renewal' || p.tokenModel === 'window', `token model must be renewal or window (got ${p.tokenModel})`);
  for (const [k, v] of [['bytes per object', p.bytesPerObject], ['redis bytes per key', p.redisBytesPerKey]] as const) {
    need(v === undefined || (Number.isFinite(v) && v >= 0), `${k} must be ≥ 0 (got ${v})`);
  }
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const n2 = (v: number) => (Number.isInteger(v) ? n0(v) : Number(v.toPrecision(4)).toLocaleString('en-US'));
const pct = (v: number) => `${Number((v * 100).toPrecision(3))} %`;

/** The post's scenario (or any variant of it) for one design, with the arithmetic spelled out. */
export function modelScenario(overrides: Partial<ScenarioParams> = {}): ScenarioResult {
  const p: ScenarioParams = { ...POST_SCENARIO, ...overrides };
  validateScenario(p);
  const why: string[] = [];

  const fire = p.repeatActions === 'worst' ? 1 : p.firingFraction;
  const evaluationsPerDay = DAY_S / p.evaluationIntervalS;
  const notificationsPerDay = p.alarms * fire * evaluationsPerDay;
  why.push(`notifications/day = alarms × firing fraction × evaluations/day = ${n0(p.alarms)} × ${fire}` +
    `${p.repeatActions === 'worst' ? ' (worst: every alarm repeats)' : ''} × (86400 / ${n2(p.evaluationIntervalS)} = ${n2(evaluationsPerDay)}) = ${n0(notificationsPerDay)}`);
  // No cache: the notifier builds a client, hence a token, for every notification (Aodh still does).
  const noCache = notificationsPerDay;

  // Alarms are spread evenly, so trusts beyond the number of alarms have nothing to notify.
  const activeTrusts = Math.min(p.trusts, p.alarms);
  const perTrustPerDay = activeTrusts > 0 ? notificationsPerDay / activeTrusts : 0;
  const P = p.tokenLifetimeS - p.refreshMarginS;
  const periodsPerDay = DAY_S / P;
  const perTrustPerPeriod = perTrustPerDay / periodsPerDay;
  why.push(`usable token period P = lifetime − margin = ${n2(p.tokenLifetimeS)} − ${n2(p.refreshMarginS)} = ${n2(P)} s → ${n2(periodsPerDay)} periods/day`);
  why.push(`per trust: ${n0(notificationsPerDay)} / ${n0(activeTrusts)} active trusts = ${n2(perTrustPerDay)} notifications/day = ${n2(perTrustPerPeriod)} per P`);

  const caches = p.design === 'none' ? 0 : p.design === 'per-worker' ? p.workers : 1;
  // Each cache sees a random 1/caches share of a trust's notifications (thinning a Poisson stream keeps it Poisson).
  const x = caches > 0 ? perTrustPerPeriod / caches : 0;
  const cached = (model: TokenModel) => activeTrusts * caches * periodsPerDay * mintsPerPeriod(x, model);
  const tokensPerDayRenewal = p.design === 'none' ? noCache : cached('renewal');
  const tokensPerDayWindow = p.design === 'none' ? noCache : cached('window');
  const tokensPerDay = p.tokenModel === 'window' ? tokensPerDayWindow : tokensPerDayRenewal;

  if (p.design === 'none') {
    why.push(`no cache: one token per notification = ${n0(tokensPerDay)} tokens/day`);
  } else {
    const who = p.design === 'per-worker' ? `${p.workers} worker caches` : '1 shared cache';
    why.push(`${who}: each sees x = ${n2(perTrustPerPeriod)} / ${caches} = ${n2(x)} notifications per trust per P`);
    why.push(`renewal (Poisson): a cache re-mints at the first notification after P, cycle P + P/x → ` +
      `tokens/day = trusts × caches × periods/day × x/(1+x) = ${n0(activeTrusts)} × ${caches} × ${n2(periodsPerDay)} × ` +
      `${n2(mintsPerPeriod(x, 'renewal'))} = ${n0(tokensPerDayRenewal)}`);
    why.push(`window bound: periods with ≥ 1 notification, 1 − e^(−x) = ${n2(mintsPerPeriod(x, 'window'))} → ${n0(tokensPerDayWindow)} tokens/day`);
    why.push(`ceiling: trusts × caches × periods/day = ${n0(activeTrusts * caches * periodsPerDay)} (a token per trust per P per cache)`);
  }

  // Entries: an in-process cache keeps a trust from its first notification on; per worker that is the chance
  // that the worker saw the trust at least once in a day. The shared design keeps a small handle per trust.
  const cacheEntriesPerWorker = p.design === 'none' ? 0 : activeTrusts * -Math.expm1(-perTrustPerDay / p.workers);
  const cacheBytesPerWorker = p.design === 'none' ? 0 : p.bytesPerObject === undefined ? null : cacheEntriesPerWorker * p.bytesPerObject;
  if (p.design !== 'none') {
    why.push(`entries/worker = trusts × (1 − e^(−${n2(perTrustPerDay)} / ${p.workers} per day)) = ${n0(cacheEntriesPerWorker)} entries` +
      (cacheBytesPerWorker === null ? '' : ` × ${n0(p.bytesPerObject!)} B = ${(cacheBytesPerWorker / 1048576).toFixed(1)} MB per worker`));
  }
  // Store keys expire with the token, so the store holds the trusts whose token is live: the fraction of time
  // covered by a token, which for the renewal model is again x/(1+x) (P out of every P + P/x).
  const sharedStoreKeys = p.design === 'shared' ? activeTrusts * mintsPerPeriod(x, p.tokenModel) : null;
  const sharedStoreBytes = sharedStoreKeys !== null && p.redisBytesPerKey !== undefined ? sharedStoreKeys * p.redisBytesPerKey : null;
  if (sharedStoreKeys !== null) {
    why.push(`shared store keys (live tokens) = ${n0(activeTrusts)} × ${n2(mintsPerPeriod(x, p.tokenModel))} = ${n0(sharedStoreKeys)} keys` +
      (sharedStoreBytes === null ? '' : ` × ${n0(p.redisBytesPerKey!)} B = ${(sharedStoreBytes / 1048576).toFixed(1)} MB`));
  }
  const shareOfNoCache = noCache > 0 ? tokensPerDay / noCache : 0;

  return {
    params: p, usablePeriodS: P, notificationsPerDay, activeTrusts, notificationsPerTrustPerDay: perTrustPerDay,
    cachesPerTrust: caches, tokensPerDay, tokensPerDayRenewal, tokensPerDayWindow, noCacheTokensPerDay: noCache,
    shareOfNoCache, cacheEntriesPerWorker, cacheBytesPerWorker, sharedStoreKeys, sharedStoreBytes, explanation: why,
  };
}

/** Human-readable lines: the headline figure, then the arithmetic. */
export function describeScenario(r: ScenarioResult): string[] {
  const head = `${r.params.design}: ${n0(r.tokensPerDay)} tokens/day (${r.params.tokenModel}), ${pct(r.shareOfNoCache)} of no cache`;
  const lines = [head, ...r.explanation.map((l) => `  ${l}`)];
  if (r.params.design === 'per-worker' && r.params.repeatActions === 'post') {
    lines.push(`  post's estimate: ~${n0(POST_ESTIMATES.cachedPerDay)}/day, "10 %" of ${n0(POST_ESTIMATES.noCachePerDay)} ` +
      `(really ${pct(POST_ESTIMATES.cachedPerDay / POST_ESTIMATES.noCachePerDay)}); model: ${n0(r.tokensPerDay)} = ${pct(r.shareOfNoCache)}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------
// Finite runs, for checking the model against a simulation with real processes on an accelerated clock.
// Time is measured in usable periods P, so the clock's speed-up does not matter: only notifications per
// trust per P and the run length in P count. Every cache starts empty.

export interface RunParams {
  design: CacheKind;
  trusts: number;
  workers: number;
  /** notifications for one trust per usable period, summed over all workers (λ·P) */
  notificationsPerTrustPerPeriod: number;
  /** run length in usable periods; notifications fall in [0, periods·P) */
  periods: number;
  /**
   * 'poisson': each trust's notifications are a Poisson process of rate λ.
   * 'ticks': each trust gets one notification every P/λP, at 0, Δ, 2Δ, … (λP·periods of them, must be whole).
   *   Pick λP so that P is not a whole multiple of Δ (e.g. 2.5): otherwise a notification lands exactly on
   *   the expiry boundary and clock jitter in the simulation decides whether it mints.
   */
  stream: 'poisson' | 'ticks' | 'episodes';
  /** episodes: the stationary firing share and mean episode length in evaluations (notificationsPerTrustPerPeriod
   * is then the evaluations per usable period) */
  firing?: { fraction: number; episodeTicks: number };
  /** episodes: what each worker's cache drops */
  eviction?: Eviction;
  /** 'random' (default): each notification to a uniformly random worker; 'round-robin': a trust's j-th
   * notification to worker j mod workers (ticks only; makes the run fully deterministic) */
  routing?: 'random' | 'round-robin';
}

export interface RunExpectation {
  notifications: number;
  /** expected tokens minted over the run, all trusts and caches */
  tokens: number;
  /** expected distinct trusts each worker has cached at the end (in-process entries or handles) */
  entriesPerWorker: number;
}

/** P(Poisson(mean) ≥ k), summed in log space so a large mean does not underflow e^(−mean). */
export function poissonTail(mean: number, k: number): number {
  if (k <= 0) return 1;
  if (!(mean > 0)) return 0;
  const logTerm = (j: number, logFact: number) => -mean + j * Math.log(mean) - logFact;
  let sum = 0;
  let logFact = 0;
  if (k - 1 < mean) {
    // most of the mass is above k: 1 − P(X < k)
    for (let j = 0; j < k; j++) {
      if (j > 0) logFact += Math.log(j);
      sum += Math.exp(logTerm(j, logFact));
    }
    return Math.max(0, 1 - sum);
  }
  for (let j = 1; j <= k; j++) logFact += Math.log(j);
  for (let j = k; ; j++) {
    if (j > k) logFact += Math.log(j);
    const t = Math.exp(logTerm(j, logFact));
    sum += t;
    if (t < sum * 1e-16 || t === 0) return Math.min(1, sum);
  }
}

/** Expected mints of one (trust, cache) pair for a Poisson stream of `ratePerPeriod` over `periods`.
 * The k-th mint happens at (k−1)·P + (sum of k exponential waits), so it falls inside the run iff
 * Poisson(rate·(periods − (k−1))) ≥ k; the expectation is the sum of those probabilities. */
export function expectedMintsPoisson(ratePerPeriod: number, periods: number): number {
  let total = 0;
  for (let k = 1; k - 1 < periods; k++) total += poissonTail(ratePerPeriod * (periods - (k - 1)), k);
  return total;
}

/** Expected mints of one (trust, cache) pair on a lattice of `ticks` notification slots where the cache
 * receives each slot's notification with probability q, and a token covers the `cover` following slots.
 * Dynamic programme over "slots the current token still covers". */
export function expectedMintsTicks(ticks: number, q: number, cover: number): number {
  if (ticks * (cover + 1) > 5e7) throw new RangeError('ticks scenario too large for the exact computation');
  let dist = new Float64Array(cover + 1); // dist[r] = P(the token covers r more slots)
  dist[0] = 1;
  let mints = 0;
  for (let i = 0; i < ticks; i++) {
    const next = new Float64Array(cover + 1);
    const mint = dist[0] * q; // no live token and a notification arrives
    mints += mint;
    next[cover] += mint;
    next[0] += dist[0] - mint;
    for (let r = 1; r <= cover; r++) next[r - 1] += dist[r];
    dist = next;
  }
  return mints;
}

/** What a finite simulated run should produce on average (exactly, for deterministic ticks). */
export function expectedTokens(run: RunParams): RunExpectation {
  const { design, trusts, workers, notificationsPerTrustPerPeriod: n, periods } = run;
  const routing = run.routing ?? 'random';
  if (!(Number.isSafeInteger(trusts) && trusts >= 1 && Number.isSafeInteger(workers) && workers >= 1)) {
    throw new RangeError('trusts and workers must be whole numbers ≥ 1');
  }
  if (!(n >= 0 && periods >= 0 && Number.isFinite(n) && Number.isFinite(periods))) throw new RangeError('rate and periods must be ≥ 0');
  if (routing === 'round-robin' && run.stream !== 'ticks') throw new RangeError('round-robin routing needs the ticks stream');

  if (run.stream === 'episodes') {
    if (!run.firing) throw new RangeError('episodes: the firing share and episode length are needed');
    // ticks at k/n for k/n < periods; a token covers the ⌈n⌉ − 1 ticks after its own
    const ticks = Math.ceil(n * periods - 1e-9);
    const e = expectedEpisodeRun({ topology: design, trusts, workers, fraction: run.firing.fraction, episodeTicks: run.firing.episodeTicks,
      ticks, cover: coverTicks(1, 1 / n), eviction: run.eviction ?? EVICTION_NONE });
    return { notifications: e.notifications, tokens: e.tokens, entriesPerWorker: e.entriesPerWorker };
  }
  let arrivals = n * periods; // per trust
  if (run.stream === 'ticks') {
    if (Math.abs(arrivals - Math.round(arrivals)) > 1e-9) throw new RangeError('ticks: notifications per period × periods must be whole');
    arrivals = Math.round(arrivals);
  }
  const notifications = trusts * arrivals;
  const caches = design === 'none' ? 0 : design === 'per-worker' ? workers : 1;

  // Entries: per-worker and shared designs both keep something per trust in every worker that saw it.
  let seen: number; // P(a given worker received ≥ 1 notification of a given trust)
  if (run.stream === 'poisson') seen = -Math.expm1(-arrivals / workers);
  else if (routing === 'random') seen = 1 - (1 - 1 / workers) ** arrivals;
  else seen = Math.min(arrivals, workers) / workers;
  const entriesPerWorker = design === 'none' ? 0 : trusts * seen;

  if (design === 'none') return { notifications, tokens: notifications, entriesPerWorker };

  let perTrust: number;
  if (run.stream === 'poisson') {
    perTrust = caches * expectedMintsPoisson(n / caches, periods);
  } else if (routing === 'random' || caches === 1) {
    // slot j after a mint is at age j·P/n; keystoneauth still uses the token at age == P, so cover = ⌊n⌋
    perTrust = caches * expectedMintsTicks(arrivals, 1 / caches, Math.floor(n + 1e-9));
  } else {
    // round-robin: worker w gets slots w, w+W, …; a token covers ⌊n/W⌋ of its own next slots
    const cover = Math.floor(n / caches + 1e-9);
    perTrust = 0;
    for (let w = 0; w < caches; w++) perTrust += Math.ceil(Math.max(0, Math.ceil((arrivals - w) / caches)) / (cover + 1));
  }
  return { notifications, tokens: trusts * perTrust, entriesPerWorker };
}
