// The notification stream of the token simulation (src/simulate/run.ts) and a replay of the caching rule over
// it. Pure and seeded: every worker process generates the same stream from the same seed and keeps the
// notifications routed to it (a shared queue with competing consumers, without a broker), and the parent replays
// the very same stream to know how many tokens the rule mints for *this* realisation, not only on average.
//
// Time is in usable token periods P (lifetime − refresh margin), as in expectedTokens (src/model/tokens.ts): a
// notification at t = 1.5 comes one and a half usable periods after the start, whatever the clock's speed-up.
import { mulberry32 } from '../stats/bootstrap.ts';
import type { Eviction } from './firing.ts';
import type { CacheKind, RunParams } from './tokens.ts';

/** 'episodes': every trust's alarm is evaluated at the same ticks, 1/rate periods apart, and notifies at each
 * tick while in the alarm state (a two-state chain with a stationary firing share and a mean episode length) */
export type StreamKind = RunParams['stream'] | 'episodes';
export type Routing = NonNullable<RunParams['routing']>;

export interface StreamSpec {
  trusts: number;
  workers: number;
  /** notifications for one trust per usable period, summed over all workers (λ·P) */
  notificationsPerTrustPerPeriod: number;
  /** stream length per trust in usable periods (see trustNotifications: the run lasts periods + 1) */
  periods: number;
  stream: StreamKind;
  routing: Routing;
  seed: number;
  /** episodes: stationary share of alarms in the alarm state, and the mean episode length in evaluations (≥ 1) */
  firing?: { fraction: number; episodeTicks: number };
  /** virtual seconds per usable period: notification times are rounded to whole seconds of it (the simulation's
   * clock, on which Keystone's whole-second expires_at is then exact); absent: times as drawn */
  secondsPerPeriod?: number;
  /** what a worker's cache drops (replay and simulation; default none) */
  eviction?: Eviction;
}

export interface Notification {
  /** time in usable periods */
  t: number;
  trust: number;
  worker: number;
}

/** Refuses what expectedTokens refuses, with the same reasons, so a simulation never runs without a model. */
export function validateStream(s: StreamSpec): void {
  const need = (ok: boolean, msg: string) => {
    if (!ok) throw new RangeError(msg);
  };
  need(Number.isSafeInteger(s.trusts) && s.trusts >= 1, `trusts must be a whole number ≥ 1 (got ${s.trusts})`);
  need(Number.isSafeInteger(s.workers) && s.workers >= 1, `workers must be a whole number ≥ 1 (got ${s.workers})`);
  need(Number.isFinite(s.notificationsPerTrustPerPeriod) && s.notificationsPerTrustPerPeriod > 0,
    `notifications per trust per period must be > 0 (got ${s.notificationsPerTrustPerPeriod})`);
  need(Number.isFinite(s.periods) && s.periods > 0, `periods must be > 0 (got ${s.periods})`);
  need(s.stream === 'poisson' || s.stream === 'ticks' || s.stream === 'episodes', `stream must be poisson, ticks or episodes (got ${s.stream})`);
  need(s.trusts * s.notificationsPerTrustPerPeriod * s.periods <= MAX_NOTIFICATIONS,
    `at most ${MAX_NOTIFICATIONS.toLocaleString('en-US')} notifications per run (trusts × rate × periods = ${s.trusts * s.notificationsPerTrustPerPeriod * s.periods})`);
  if (s.stream === 'episodes') {
    const f = s.firing;
    need(f !== undefined && f.fraction > 0 && f.fraction < 1, `episodes: the firing share must be within (0, 1) (got ${f?.fraction})`);
    need(f !== undefined && Number.isFinite(f.episodeTicks) && f.episodeTicks >= 1, `episodes: an episode must last ≥ 1 evaluation on average (got ${f?.episodeTicks})`);
    need(f !== undefined && f.fraction / (f.episodeTicks * (1 - f.fraction)) <= 1, 'episodes: that firing share needs longer episodes (an alarm would re-enter the alarm state more than once per evaluation)');
  }
  need(s.eviction === undefined || s.eviction.kind === 'none' || s.stream === 'episodes',
    'eviction is modelled on the evaluation lattice: use it with the episodes stream');
  if (s.secondsPerPeriod !== undefined) need(Number.isSafeInteger(s.secondsPerPeriod) && s.secondsPerPeriod >= 1, `seconds per period must be a whole number ≥ 1 (got ${s.secondsPerPeriod})`);
  need(s.routing === 'random' || s.routing === 'round-robin', `routing must be random or round-robin (got ${s.routing})`);
  need(s.routing !== 'round-robin' || s.stream === 'ticks', 'round-robin routing needs the ticks stream');
  need(Number.isSafeInteger(s.seed), `seed must be a whole number (got ${s.seed})`);
  if (s.stream === 'ticks') {
    const count = s.notificationsPerTrustPerPeriod * s.periods;
    need(Math.abs(count - Math.round(count)) < 1e-9, `ticks: notifications per period × periods must be whole (got ${count})`);
    // A tick exactly one usable period after another lands on the expiry boundary: clock jitter would decide.
    need(!Number.isInteger(Math.round(s.notificationsPerTrustPerPeriod * 1e9) / 1e9),
      `ticks: notifications per period must not be a whole number (got ${s.notificationsPerTrustPerPeriod}; try ${s.notificationsPerTrustPerPeriod + 0.5})`);
  }
}

/** A bound on a run's size, so a typo cannot fill the memory (each notification is an object in every process). */
export const MAX_NOTIFICATIONS = 2_000_000;

/** A 32-bit mix of (seed, trust) so each trust's stream is independent of the others and of their order. */
function trustSeed(seed: number, trust: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(trust + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * One trust's notifications, in time order.
 * - poisson: exponential gaps of mean 1/λP; random routing sends each to a uniformly random worker.
 * - ticks: one every Δ = 1/λP periods; round-robin sends a trust's j-th notification to worker (i + j) mod
 *   workers (the rotation spreads load; the total is the same as starting every trust at worker 0).
 * Trust i's stream covers [oᵢ, oᵢ + periods) with oᵢ = (i + ½)/trusts: every trust still has exactly `periods`
 * periods of notifications from an empty cache (what expectedTokens counts; trusts do not interact), but the
 * trusts start at different times, so their renewals do not all fall due together in bursts that would make
 * the workers late. The whole run lasts periods + 1.
 */
export const trustOffset = (s: StreamSpec, trust: number) => (trust + 0.5) / s.trusts;

export function trustNotifications(s: StreamSpec, trust: number): Notification[] {
  const rand = mulberry32(trustSeed(s.seed, trust));
  const n = s.notificationsPerTrustPerPeriod;
  const out: Notification[] = [];
  const route = (j: number) => (s.routing === 'round-robin' ? (trust + j) % s.workers : Math.floor(rand() * s.workers));
  const o = trustOffset(s, trust);
  const q = s.secondsPerPeriod;
  const at = (t: number) => (q === undefined ? t : Math.round(t * q) / q);
  if (s.stream === 'episodes') {
    // Aodh evaluates every alarm at the same interval: ticks at k/rate from 0, one alarm (and trust) each, the
    // alarm state a chain started from its stationary share
    const { fraction: f, episodeTicks } = s.firing!;
    const leave = 1 / episodeTicks;
    const enter = (f * leave) / (1 - f);
    let firing = rand() < f;
    for (let k = 0; k / n < s.periods; k++) {
      if (k > 0) firing = firing ? rand() >= leave : rand() < enter;
      if (firing) out.push({ t: at(k / n), trust, worker: route(out.length) });
    }
    return out;
  }
  if (s.stream === 'ticks') {
    const count = Math.round(n * s.periods);
    for (let j = 0; j < count; j++) out.push({ t: at(o + j / n), trust, worker: route(j) });
  } else {
    for (let t = -Math.log(1 - rand()) / n, j = 0; t < s.periods; t += -Math.log(1 - rand()) / n, j++) {
      out.push({ t: at(o + t), trust, worker: route(j) });
    }
  }
  return out;
}

/** The notifications one worker receives, in time order (each worker process calls this for itself). */
export function workerNotifications(s: StreamSpec, worker: number): Notification[] {
  const mine: Notification[] = [];
  for (let i = 0; i < s.trusts; i++) for (const x of trustNotifications(s, i)) if (x.worker === worker) mine.push(x);
  return mine.sort((a, b) => a.t - b.t);
}

export interface Replay {
  notifications: number;
  tokens: number;
  /** the entries each worker's cache holds at the end (0 without a cache), after its eviction policy */
  entriesPerWorker: number[];
  /** with a loss: lost trusts whose next notification would have found a valid token, so it re-mints early */
  earlyRemints?: number;
}

/**
 * A shared store loses part of its records mid-run (a server of a memcached pool dies): at stream time `at`
 * (usable periods) the cached tokens of `trusts` are gone, and the next notification for each of them misses.
 */
export interface StoreLoss {
  at: number;
  /** the trusts whose records lived on the server that died */
  trusts: ReadonlySet<number>;
}

/** Every notification of the stream in the order the simulation hands them out: time, then trust. */
export function allNotifications(s: StreamSpec): Notification[] {
  const all: Notification[] = [];
  for (let i = 0; i < s.trusts; i++) for (const x of trustNotifications(s, i)) all.push(x);
  return all.sort((a, b) => a.t - b.t || a.trust - b.trust);
}

/** A token minted at `from` is no longer usable at `t` (age ≥ one usable period); tolerant of rounding. */
export const unusable = (t: number, from: number) => t - from >= 1 - 1e-9;

/**
 * One worker's cache under an eviction policy, as the simulation's worker keeps it (src/simulate/worker.ts):
 * entry = the time its own token was minted (per-worker) and the time it was last used. 'expired' drops an entry
 * whose token is no longer usable (per-worker) or that went unused for a usable period (a shared design's
 * handle); 'lru:N' keeps the N most recently used. Shared by the replay and the worker so both apply one rule.
 */
export class EvictingCache<E> {
  readonly entries = new Map<number, { entry: E; minted: number; used: number }>();
  constructor(readonly eviction: Eviction, readonly topology: 'per-worker' | 'shared') {}

  /** The live entry for a trust at time t, or undefined (a dropped one is forgotten). */
  get(trust: number, t: number): { entry: E; minted: number; used: number } | undefined {
    const e = this.entries.get(trust);
    if (!e) return undefined;
    if (this.eviction.kind === 'expired' && this.expired(e, t)) {
      this.entries.delete(trust);
      return undefined;
    }
    if (this.eviction.kind === 'lru') {
      this.entries.delete(trust);
      this.entries.set(trust, e);
    }
    return e;
  }

  /** Adds an entry; returns the trusts LRU pushed out. */
  set(trust: number, value: { entry: E; minted: number; used: number }): number[] {
    this.entries.set(trust, value);
    const out: number[] = [];
    if (this.eviction.kind === 'lru') {
      for (const k of this.entries.keys()) {
        if (this.entries.size <= this.eviction.entries) break;
        this.entries.delete(k);
        out.push(k);
      }
    }
    return out;
  }

  private expired(e: { minted: number; used: number }, t: number): boolean {
    return this.topology === 'per-worker' ? unusable(t, e.minted) : unusable(t, e.used);
  }

  /** Entries held at time t (an 'expired' cache drops what is expired by then). */
  sizeAt(t: number): number {
    if (this.eviction.kind !== 'expired') return this.entries.size;
    let n = 0;
    for (const e of this.entries.values()) if (!this.expired(e, t)) n++;
    return n;
  }
}

/** The time the run's entries are counted at: its last notification. */
export const endOf = (all: readonly Notification[]) => (all.length ? all[all.length - 1].t : 0);

/**
 * The caching rule applied to a stream: a cache mints when it has no token for the trust or the token's age is
 * ≥ 1 usable period (needsRefresh: expires_at − now ≤ margin); 'per-worker' keeps one cache per worker,
 * 'shared' one for all workers; 'none' mints for every notification. A worker's entries follow the stream's
 * eviction policy: dropping a per-worker entry drops its token (the next notification mints), dropping a shared
 * design's handle costs nothing (the token is in the store). Minting is instantaneous and single-flight, the
 * model's assumptions: a simulated count that differs from this replay measures what the real code adds.
 * With a `loss`, the shared store forgets the lost trusts' tokens at loss.at: the replay minus the replay
 * without it is the extra a server's death costs this very stream (each lost trust notified again while its
 * token was still valid mints once more (earlyRemints), and its later renewals come earlier with that mint, so
 * over a finite run the net extra is at most that).
 */
export function replayTokens(s: StreamSpec, design: CacheKind, loss?: StoreLoss): Replay {
  const all = allNotifications(s);
  const eviction = s.eviction ?? { kind: 'none' as const };
  let tokens = 0;
  let earlyRemints = 0;
  const topology = design === 'shared' ? 'shared' : 'per-worker';
  const caches = Array.from({ length: s.workers }, () => new EvictingCache<null>(eviction, topology));
  const sharedMint = new Map<number, number>();
  const lossDue = new Set(design === 'shared' && loss ? loss.trusts : []);
  for (const x of all) {
    if (design === 'none') {
      tokens++;
      continue;
    }
    if (lossDue.has(x.trust) && x.t >= loss!.at) {
      lossDue.delete(x.trust);
      const m = sharedMint.get(x.trust);
      if (m !== undefined && !unusable(x.t, m)) earlyRemints++;
      sharedMint.delete(x.trust);
    }
    const cache = caches[x.worker];
    const e = cache.get(x.trust, x.t);
    if (design === 'shared') {
      if (e) e.used = x.t;
      else cache.set(x.trust, { entry: null, minted: x.t, used: x.t });
      const m = sharedMint.get(x.trust);
      if (m === undefined || unusable(x.t, m)) tokens++, sharedMint.set(x.trust, x.t);
    } else if (!e) {
      tokens++;
      cache.set(x.trust, { entry: null, minted: x.t, used: x.t });
    } else {
      e.used = x.t;
      if (unusable(x.t, e.minted)) tokens++, (e.minted = x.t);
    }
  }
  const end = endOf(all);
  const entriesPerWorker = design === 'none' ? new Array<number>(s.workers).fill(0) : caches.map((c) => c.sizeAt(end));
  return { notifications: all.length, tokens, entriesPerWorker, ...(loss ? { earlyRemints } : {}) };
}

/**
 * Sampling noise of the token count for a run of this size: the replay over `runs` other seeds (the seed under
 * test is not among them). For a deterministic stream (ticks, round-robin) the sd is 0. It yields between seeds
 * so a signal handler can run, and stops when `signal` aborts.
 */
export async function replayNoise(s: StreamSpec, design: CacheKind, runs = 200, signal?: AbortSignal): Promise<{ mean: number; sd: number; runs: number }> {
  if (s.stream === 'ticks' && s.routing === 'round-robin') {
    return { mean: replayTokens(s, design).tokens, sd: 0, runs: 1 };
  }
  const counts: number[] = [];
  for (let k = 1; k <= runs; k++) {
    if (signal?.aborted) throw new Error('simulation: interrupted');
    counts.push(replayTokens({ ...s, seed: (s.seed + 7919 * k) | 0 }, design).tokens);
    await new Promise((r) => setImmediate(r));
  }
  const mean = counts.reduce((a, b) => a + b, 0) / runs;
  const sd = Math.sqrt(counts.reduce((a, c) => a + (c - mean) ** 2, 0) / Math.max(1, runs - 1));
  return { mean, sd, runs };
}
