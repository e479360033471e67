// How alarms fire, and what that does to a cache: the token arithmetic on the evaluator's own time lattice.
//
// Aodh evaluates every alarm once per evaluation interval Δ. An alarm notifies when it changes state and, with
// `repeat_actions`, at every evaluation while it stays in that state (aodh/evaluator/__init__.py `_refresh`,
// threshold.py `_transition_alarm`). So notifications fall on ticks of Δ, and an alarm that fires at one
// evaluation is likely to fire at the next. The firing models, each a two-state (ok / alarm) Markov chain per
// alarm whose stationary share in alarm is the firing fraction f:
// - random:   every evaluation an independent draw (P(alarm) = f whatever the last state);
// - sticky:   the same alarms fire at every evaluation (a share f of them, for ever);
// - episodes: an alarm enters the alarm state at a rate and stays for a geometric number of evaluations of
//             mean D/Δ, notifying at each (repeat_actions), then leaves; stationary share f.
//
// One cache (one worker's, or the shared store) and one trust: the cache receives the trust's notification at a
// tick with probability ρ while the trust fires (1/W of them for one of W workers on a shared queue, 1 for a
// shared store). A token minted at a tick serves the c = ⌈P/Δ⌉ − 1 following ticks (P = lifetime − 120 s:
// keystoneauth re-authenticates when expires_at − now ≤ 120 s, so a tick at age exactly P mints). After those
// c ticks the next reception mints again: mints are renewals, and the mint rate is 1 / E[cycle], exact for one
// alarm per trust. Several alarms sharing a trust (the post's preset) are folded into one on/off chain for the
// trust: exact for random and sticky, an approximation for episodes (the union's alarm runs are taken as
// geometric with the right mean).
//
// Eviction: 'none' keeps every trust a worker has seen (counted over a day: an upper bound that keeps growing);
// 'expired' drops an entry once its token is no longer usable (per-worker designs; a shared design's handle
// once it went unused for P); 'lru:N' caps a worker's cache at N entries, least recently used out. LRU uses
// Che's approximation: an entry lives T_C ticks after its last use, T_C set so the expected occupancy is N; a
// per-worker token is then lost when its trust goes T_C ticks without a notification.
//
// Pure arithmetic, no I/O.

export type FiringModel = 'random' | 'sticky' | 'episodes';
export const FIRING_MODELS: readonly FiringModel[] = ['random', 'sticky', 'episodes'];
/** Default: episodes, as Aodh's evaluator notifies (see above); mean duration an assumption, see README. */
export const DEFAULT_FIRING_MODEL: FiringModel = 'episodes';
export const DEFAULT_EPISODE_MINUTES = 60;

export type Eviction = { kind: 'none' } | { kind: 'expired' } | { kind: 'lru'; entries: number };
export const EVICTION_NONE: Eviction = Object.freeze({ kind: 'none' });

/** Parses none | expired | lru:N; throws RangeError with the reason. */
export function parseEviction(s: string): Eviction {
  if (s === 'none' || s === 'expired') return { kind: s };
  const m = /^lru:(\d+)$/.exec(s);
  if (m) {
    const n = Number(m[1]);
    if (Number.isSafeInteger(n) && n >= 1 && n <= 1e9) return { kind: 'lru', entries: n };
  }
  throw new RangeError(`eviction must be none, expired or lru:N with N a whole number from 1 to 1e9 (got ${s})`);
}
export const evictionText = (e: Eviction) => (e.kind === 'lru' ? `lru:${e.entries}` : e.kind);

export interface Firing {
  model: FiringModel;
  /** share of alarms notifying at an evaluation (stationary share in the alarm state), 0..1 */
  fraction: number;
  /** episodes: mean time an alarm stays in the alarm state, minutes */
  episodeMinutes?: number;
}

export const firingText = (f: Firing) => (f.model === 'episodes' ? `episodes of ${f.episodeMinutes ?? DEFAULT_EPISODE_MINUTES} min mean` : f.model);

/** The trust's on/off chain per tick: a = P(off → on), b = P(on → off), share on = a / (a + b); sticky: frozen. */
export interface TrustChain {
  a: number;
  b: number;
  /** stationary share of ticks on (for sticky: the share of trusts that are on for ever) */
  on: number;
  sticky: boolean;
}

/**
 * The chain of one trust that `alarmsPerTrust` alarms share, at an evaluation interval of `intervalS`.
 * Throws RangeError for combinations that have no chain (an episode shorter than one evaluation, or a firing
 * share too high for episodes that short).
 */
export function trustChain(f: Firing, intervalS: number, alarmsPerTrust = 1): TrustChain {
  const k = alarmsPerTrust;
  const p = f.fraction;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`firing fraction must be within 0..1 (got ${p})`);
  if (!(k >= 1 && Number.isFinite(k))) throw new RangeError(`alarms per trust must be ≥ 1 (got ${k})`);
  const on = -Math.expm1(k * Math.log1p(-p)); // 1 − (1 − p)^k, accurate for small p
  if (f.model === 'sticky') return { a: 0, b: 0, on: p >= 1 ? 1 : on, sticky: true };
  if (f.model === 'random' || p === 0 || p === 1) return { a: on, b: 1 - on, on, sticky: false };
  const minutes = f.episodeMinutes ?? DEFAULT_EPISODE_MINUTES;
  const d = (minutes * 60) / intervalS; // evaluations per episode, mean
  if (!(d >= 1)) throw new RangeError(`an episode must last at least one evaluation (${intervalS} s); got ${minutes} min`);
  const b1 = 1 / d;
  const a1 = (p * b1) / (1 - p);
  if (!(a1 <= 1)) throw new RangeError(`firing ${p} with episodes of ${minutes} min: an alarm would have to re-enter the alarm state more than once per evaluation`);
  if (k === 1) return { a: a1, b: b1, on: p, sticky: false };
  // the trust is off while all its alarms are: it leaves that state when any one enters, 1 − (1 − a)^k exactly
  const a = -Math.expm1(k * Math.log1p(-a1));
  return { a, b: on > 0 ? Math.min(1, (a * (1 - on)) / on) : 1, on, sticky: false };
}

/** P(one cache receives a notification at a tick | the trust fires): 1 for a shared store, else 1/W per notification. */
export function receptionOn(firingFraction: number, alarmsPerTrust: number, caches: number, workers: number): number {
  if (caches === 1) return 1;
  const k = alarmsPerTrust;
  const on = -Math.expm1(k * Math.log1p(-firingFraction));
  if (!(on > 0)) return 0;
  // m ~ Binomial(k, f) alarms notify; the worker gets at least one of them: 1 − E[(1 − 1/W)^m] given m ≥ 1
  return -Math.expm1(k * Math.log1p(-firingFraction / workers)) / on;
}

type Vec = [number, number];
type Mat = [[number, number], [number, number]];
const mul = (x: Mat, y: Mat): Mat => [
  [x[0][0] * y[0][0] + x[0][1] * y[1][0], x[0][0] * y[0][1] + x[0][1] * y[1][1]],
  [x[1][0] * y[0][0] + x[1][1] * y[1][0], x[1][0] * y[0][1] + x[1][1] * y[1][1]],
];
function pow(m: Mat, n: number): Mat {
  let r: Mat = [[1, 0], [0, 1]];
  let b = m;
  for (let e = Math.floor(n); e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) r = mul(r, b);
    b = mul(b, b);
  }
  return r;
}
const vm = (v: Vec, m: Mat): Vec => [v[0] * m[0][0] + v[1] * m[1][0], v[0] * m[0][1] + v[1] * m[1][1]];

/** One cache's view of one trust: the chain, the reception probability while on, and the token's cover in ticks. */
export interface CacheChain {
  chain: TrustChain;
  rho: number;
  /** ticks after its mint tick a token still serves: ⌈P/Δ⌉ − 1 */
  cover: number;
}

export const coverTicks = (usablePeriodS: number, intervalS: number) => Math.max(0, Math.ceil(usablePeriodS / intervalS - 1e-9) - 1);

const transition = (c: TrustChain): Mat => (c.sticky ? [[1, 0], [0, 1]] : [[1 - c.a, c.a], [c.b, 1 - c.b]]);
/** M[s][s'] = A[s][s'] × P(no reception in s') */
const silent = (c: CacheChain): Mat => {
  const A = transition(c.chain);
  return [[A[0][0], A[0][1] * (1 - c.rho)], [A[1][0], A[1][1] * (1 - c.rho)]];
};

/** Expected ticks until the next reception from alarm state s (before the tick's transition): h = (I − M)⁻¹ 1. */
function waitTicks(c: CacheChain): Vec {
  const M = silent(c);
  const det = (1 - M[0][0]) * (1 - M[1][1]) - M[0][1] * M[1][0];
  if (!(det > 0)) return [Infinity, c.rho > 0 && c.chain.sticky ? 1 / c.rho : Infinity];
  return [((1 - M[1][1]) + M[0][1]) / det, ((1 - M[0][0]) + M[1][0]) / det];
}

/** Stationary alarm-state distribution of the trusts that notify at all (sticky: the on ones). */
const stationary = (c: TrustChain): Vec => (c.sticky ? [0, 1] : [1 - c.on, c.on]);
/** Share of trusts whose notifications the figures below are about (sticky: those on for ever; else all). */
export const activeShare = (c: TrustChain) => (c.sticky ? c.on : 1);

/** P(no reception in L ticks) from the stationary state. */
export function silentFor(c: CacheChain, ticks: number): number {
  if (ticks <= 0) return 1;
  const v = vm(stationary(c.chain), pow(silent(c), ticks));
  return Math.min(1, Math.max(0, v[0] + v[1]));
}

export interface CacheRates {
  /** mints per tick of one cache for one active trust */
  mintsPerTick: number;
  /** share of ticks the cache holds a usable token for the trust (expired eviction's per-worker entries) */
  liveShare: number;
  /** mean ticks from one mint to the next */
  cycleTicks: number;
}

/**
 * Steady-state mints of one cache for one trust. `idleLimit`: an entry is dropped after that many ticks without a
 * notification (LRU under Che's approximation); Infinity: never.
 */
export function cacheRates(c: CacheChain, idleLimit = Infinity): CacheRates {
  if (!(c.rho > 0) || !(c.chain.on > 0)) return { mintsPerTick: 0, liveShare: 0, cycleTicks: Infinity };
  const h = waitTicks(c);
  const A = transition(c.chain);
  const L = Math.floor(idleLimit);
  if (L < 1) {
    // every entry is gone by the next tick: each reception mints
    const perTick = stationary(c.chain)[1] * c.rho;
    return { mintsPerTick: perTick, liveShare: perTick, cycleTicks: 1 / perTick };
  }
  if (!(L < c.cover)) {
    // eviction by idleness never beats the token's own expiry: a renewal of c ticks + the wait for a reception
    const mu = vm([0, 1], pow(A, c.cover));
    const wait = (mu[0] > 0 ? mu[0] * h[0] : 0) + (mu[1] > 0 ? mu[1] * h[1] : 0);
    const cycle = c.cover + wait;
    return { mintsPerTick: 1 / cycle, liveShare: Math.min(1, (c.cover + 1) / cycle), cycleTicks: cycle };
  }
  // Within a token's life, the entry is lost after L ticks without a reception: a dynamic programme over
  // (ticks since the last reception, alarm state) for ages 1..c; mass that is lost or outlives the token waits
  // h(s) more ticks for the reception that mints.
  let dist: number[][] = Array.from({ length: L }, () => [0, 0]);
  dist[0] = [0, 1]; // just minted, on a reception, alarm on
  let cycle = 0;
  let live = 1; // the mint tick
  for (let age = 1; age <= c.cover; age++) {
    const next: number[][] = Array.from({ length: L }, () => [0, 0]);
    for (let i = 0; i < L; i++) {
      for (let s = 0; s < 2; s++) {
        const p = dist[i][s];
        if (!p) continue;
        for (let t = 0; t < 2; t++) {
          const q = p * A[s][t];
          if (!q) continue;
          const got = t === 1 ? c.rho : 0;
          if (got) next[0][t] += q * got; // a hit: idle resets
          const miss = q * (1 - got);
          if (i + 1 < L) next[i + 1][t] += miss;
          else if (miss) cycle += miss * (age + h[t]); // idle for L ticks: evicted; the next reception mints
        }
      }
    }
    dist = next;
    for (const [x, y] of dist) live += x + y;
  }
  for (const [x, y] of dist) cycle += (x ? x * (c.cover + h[0]) : 0) + (y ? y * (c.cover + h[1]) : 0);
  return { mintsPerTick: 1 / cycle, liveShare: Math.min(1, live / cycle), cycleTicks: cycle };
}

/**
 * The early re-mints a store's loss causes: P(at a random tick the trust holds a live shared token and is
 * notified again before it expires), per active trust. Each such trust mints once more than it would have.
 */
export function earlyRemintShare(c: CacheChain): number {
  const r = cacheRates(c);
  if (!(r.mintsPerTick > 0)) return 0;
  const A = transition(c.chain);
  const M = silent(c);
  let sum = 0;
  let state: Vec = [0, 1];
  for (let age = 0; age <= c.cover; age++) {
    const quiet = vm(state, pow(M, c.cover - age));
    sum += 1 - (quiet[0] + quiet[1]);
    state = vm(state, A);
  }
  return sum * r.mintsPerTick;
}

/**
 * Che's characteristic time for an LRU cache of `capacity` entries over `trusts` active trusts: the largest idle
 * limit (ticks) whose expected occupancy does not exceed the capacity; Infinity when everything fits within
 * `horizonTicks` (a day, the horizon the 'none' policy counts entries over).
 */
export function lruIdleLimit(c: CacheChain, trusts: number, capacity: number, horizonTicks: number): number {
  const occupancy = (L: number) => trusts * (1 - silentFor(c, L));
  if (occupancy(horizonTicks) <= capacity) return Infinity;
  let lo = 0;
  let hi = horizonTicks;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (occupancy(mid) <= capacity) lo = mid;
    else hi = mid;
  }
  // T_C is continuous in Che's approximation: interpolate between the whole ticks around it
  const below = occupancy(lo);
  const above = occupancy(lo + 1);
  return above > below ? lo + Math.min(1, (capacity - below) / (above - below)) : lo;
}

/** f at a fractional idle limit: the mix of its whole neighbours (Che's T_C falls between ticks). */
function atLimit<T extends object>(limit: number, f: (whole: number) => T): T {
  const lo = Math.floor(limit);
  const w = limit - lo;
  if (!Number.isFinite(limit) || w === 0) return f(limit);
  const a = f(lo) as Record<string, number>;
  const b = f(lo + 1) as Record<string, number>;
  return Object.fromEntries(Object.keys(a).map((k) => [k, a[k] * (1 - w) + b[k] * w])) as T;
}

export interface CacheOutcome {
  /** tokens per tick summed over all active trusts of this cache */
  mintsPerTick: number;
  /** entries one worker holds */
  entriesPerWorker: number;
  /** shared: trusts with a live token in the store */
  liveTrusts: number;
  /** the LRU idle limit in ticks, when one applies */
  idleLimitTicks?: number;
}

export interface LatticeInputs {
  firing: Firing;
  intervalS: number;
  usablePeriodS: number;
  trusts: number;
  alarmsPerTrust: number;
  workers: number;
  topology: 'per-worker' | 'shared';
  eviction: Eviction;
  /** the horizon 'none' counts entries over, ticks (a day) */
  horizonTicks: number;
}

/** One cache topology under a firing model and an eviction policy: tokens per tick and entries per worker. */
export function latticeOutcome(x: LatticeInputs): CacheOutcome {
  const chain = trustChain(x.firing, x.intervalS, x.alarmsPerTrust);
  const active = x.trusts * activeShare(chain);
  const cover = coverTicks(x.usablePeriodS, x.intervalS);
  const perWorker: CacheChain = { chain, rho: receptionOn(x.firing.fraction, x.alarmsPerTrust, x.workers, x.workers), cover };
  const seenInHorizon = active * (1 - silentFor(perWorker, x.horizonTicks));
  const lruLimit = x.eviction.kind === 'lru' ? lruIdleLimit(perWorker, active, x.eviction.entries, x.horizonTicks) : Infinity;
  if (x.topology === 'per-worker') {
    const r = atLimit(lruLimit, (L) => cacheRates(perWorker, L));
    const entries = x.eviction.kind === 'none' ? seenInHorizon
      : x.eviction.kind === 'expired' ? active * r.liveShare
        : Math.min(x.eviction.entries, seenInHorizon);
    return { mintsPerTick: x.workers * active * r.mintsPerTick, entriesPerWorker: entries, liveTrusts: 0,
      ...(Number.isFinite(lruLimit) ? { idleLimitTicks: lruLimit } : {}) };
  }
  // shared: the store mints; a worker's handles hold no token, so dropping one costs nothing in tokens
  const store: CacheChain = { chain, rho: 1, cover };
  const r = cacheRates(store);
  const entries = x.eviction.kind === 'none' ? seenInHorizon
    : x.eviction.kind === 'expired' ? active * (1 - silentFor(perWorker, cover + 1))
      : Math.min(x.eviction.entries, seenInHorizon);
  return { mintsPerTick: active * r.mintsPerTick, entriesPerWorker: entries, liveTrusts: active * r.liveShare,
    ...(Number.isFinite(lruLimit) ? { idleLimitTicks: lruLimit } : {}) };
}

export interface EpisodeRun {
  topology: 'none' | 'per-worker' | 'shared';
  trusts: number;
  workers: number;
  /** stationary share of alarms firing, and the mean episode length in evaluations */
  fraction: number;
  episodeTicks: number;
  /** evaluation ticks in the run; the stream starts from the stationary alarm state and empty caches */
  ticks: number;
  /** ticks a token serves after its mint tick */
  cover: number;
  eviction: Eviction;
}

/**
 * What a finite episodes run should mint, on average, and what each worker's cache holds at its last tick: the
 * lattice chain of one (trust, cache) pair propagated tick by tick from the stationary alarm state and an empty
 * cache (exact for one alarm per trust; LRU through Che's idle limit, computed over the run's ticks).
 */
export function expectedEpisodeRun(r: EpisodeRun): { notifications: number; tokens: number; entriesPerWorker: number; idleLimitTicks?: number } {
  const chain = trustChain({ model: 'episodes', fraction: r.fraction, episodeMinutes: r.episodeTicks }, 60, 1);
  const notifications = r.trusts * r.ticks * r.fraction;
  if (r.topology === 'none') return { notifications, tokens: notifications, entriesPerWorker: 0 };
  const worker: CacheChain = { chain, rho: 1 / r.workers, cover: r.cover };
  const limit = r.eviction.kind === 'lru' ? lruIdleLimit(worker, r.trusts, r.eviction.entries, r.ticks) : Infinity;
  const run = (c: CacheChain, idle: number) => atLimit(idle, (L) => finiteMints(c, r.ticks, L));
  const seen = (window: number) => r.trusts * (1 - silentFor(worker, Math.min(window, r.ticks)));
  let tokens: number;
  let entries: number;
  if (r.topology === 'per-worker') {
    const m = run(worker, limit);
    tokens = r.trusts * r.workers * m.mints;
    entries = r.eviction.kind === 'expired' ? r.trusts * m.liveAtEnd : r.eviction.kind === 'lru' ? Math.min(r.eviction.entries, seen(r.ticks)) : seen(r.ticks);
  } else {
    tokens = r.trusts * run({ chain, rho: 1, cover: r.cover }, Infinity).mints;
    entries = r.eviction.kind === 'expired' ? seen(r.cover + 1) : r.eviction.kind === 'lru' ? Math.min(r.eviction.entries, seen(r.ticks)) : seen(r.ticks);
  }
  return { notifications, tokens, entriesPerWorker: entries, ...(Number.isFinite(limit) ? { idleLimitTicks: limit } : {}) };
}

/** Expected mints of one cache over `ticks`, and P(it holds a usable entry after the last tick). */
function finiteMints(c: CacheChain, ticks: number, idleLimit: number): { mints: number; liveAtEnd: number } {
  const A = transition(c.chain);
  const C = c.cover;
  const L = Math.max(1, Math.min(Math.floor(idleLimit), C + 1));
  const idx = (s: number, j: number, i: number) => (s * (C + 1) + j) * L + i;
  let held = new Float64Array(2 * (C + 1) * L);
  let empty: Vec = [1 - c.chain.on, c.chain.on];
  let mints = 0;
  for (let k = 0; k < ticks; k++) {
    // the alarm state moves between ticks (tick 0 is drawn from the stationary share)
    const nextHeld = new Float64Array(held.length);
    let nextEmpty: Vec = [0, 0];
    const step = (s: number, p: number, from: { j: number; i: number } | null) => {
      for (let t = 0; t < 2; t++) {
        const q = k === 0 ? (s === t ? p : 0) : p * A[s][t];
        if (!q) continue;
        const got = t === 1 ? c.rho : 0;
        if (from === null || from.j + 1 > C) {
          // no usable token: a reception mints
          mints += q * got;
          nextHeld[idx(t, 0, 0)] += q * got;
          nextEmpty[t] += q * (1 - got);
          continue;
        }
        nextHeld[idx(t, from.j + 1, 0)] += q * got;
        const quiet = q * (1 - got);
        if (from.i + 1 >= L) nextEmpty[t] += quiet;
        else nextHeld[idx(t, from.j + 1, from.i + 1)] += quiet;
      }
    };
    for (let s = 0; s < 2; s++) {
      if (empty[s]) step(s, empty[s], null);
      for (let j = 0; j <= C; j++) for (let i = 0; i < L; i++) {
        const p = held[idx(s, j, i)];
        if (p) step(s, p, { j, i });
      }
    }
    // the first tick has no previous state to hold: before it every cache is empty
    held = nextHeld;
    empty = nextEmpty;
  }
  let liveAtEnd = 0;
  for (const p of held) liveAtEnd += p;
  return { mints, liveAtEnd };
}

/** The lattice arithmetic of one deployment in words, one line per step (for `npm run model`). */
export function explainLattice(x: Omit<LatticeInputs, 'topology'>): string[] {
  const n = (v: number) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(4))));
  const chain = trustChain(x.firing, x.intervalS, x.alarmsPerTrust);
  const cover = coverTicks(x.usablePeriodS, x.intervalS);
  const lines = [
    `evaluations every ${n(x.intervalS)} s: a token minted at one serves the next c = ⌈${n(x.usablePeriodS)} / ${n(x.intervalS)}⌉ − 1 = ${cover} (keystoneauth refreshes at age P = ${n(x.usablePeriodS)} s)`,
    chain.sticky
      ? `sticky: a share ${n(chain.on)} of the trusts notifies at every evaluation, the others never`
      : `firing ${firingText(x.firing)}: per evaluation a trust goes ok → alarm with a = ${n(chain.a)}, alarm → ok with b = ${n(chain.b)} (share in alarm ${n(chain.on)})`,
  ];
  for (const [label, rho] of [['one shared store', 1], [`each of ${x.workers} workers`, receptionOn(x.firing.fraction, x.alarmsPerTrust, x.workers, x.workers)]] as const) {
    const r = cacheRates({ chain, rho, cover });
    lines.push(`${label}: receives a firing trust's notification with ρ = ${n(rho)}; a mint, ${cover} covered evaluations, then a wait for the next ` +
      `reception: mean cycle ${n(r.cycleTicks)} evaluations → ${n(1 / r.cycleTicks)} tokens per trust per evaluation`);
  }
  if (x.eviction.kind === 'lru') {
    const active = x.trusts * activeShare(chain);
    const L = lruIdleLimit({ chain, rho: receptionOn(x.firing.fraction, x.alarmsPerTrust, x.workers, x.workers), cover }, active, x.eviction.entries, x.horizonTicks);
    lines.push(`lru:${x.eviction.entries}: Che's approximation, an entry lasts ${Number.isFinite(L) ? `${n(L)} evaluations` : 'the whole day'} without a notification`);
  }
  return lines;
}
