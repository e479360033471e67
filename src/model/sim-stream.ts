// The notification stream of the token simulation (src/simulate/run.ts) and a replay of the caching rule over
// it. Pure and seeded: every worker process generates the same stream from the same seed and keeps the
// notifications routed to it (a shared queue with competing consumers, without a broker), and the parent replays
// the very same stream to know how many tokens the rule mints for *this* realisation, not only on average.
//
// Time is in usable token periods P (lifetime − refresh margin), as in expectedTokens (src/model/tokens.ts): a
// notification at t = 1.5 comes one and a half usable periods after the start, whatever the clock's speed-up.
import { mulberry32 } from '../stats/bootstrap.ts';
import type { Design, RunParams } from './tokens.ts';

export type StreamKind = RunParams['stream'];
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
  need(s.stream === 'poisson' || s.stream === 'ticks', `stream must be poisson or ticks (got ${s.stream})`);
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
  if (s.stream === 'ticks') {
    const count = Math.round(n * s.periods);
    for (let j = 0; j < count; j++) out.push({ t: o + j / n, trust, worker: route(j) });
  } else {
    for (let t = -Math.log(1 - rand()) / n, j = 0; t < s.periods; t += -Math.log(1 - rand()) / n, j++) {
      out.push({ t: o + t, trust, worker: route(j) });
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
  /** distinct trusts each worker saw (the entries its cache holds at the end; 0 without a cache) */
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

/**
 * The caching rule applied to a stream: a cache mints when it has no token for the trust or the token's age is
 * ≥ 1 usable period (needsRefresh: expires_at − now ≤ margin); 'per-worker' keeps one cache per worker,
 * 'shared' one for all workers; 'none' mints for every notification. Minting is instantaneous and single-flight,
 * the model's assumptions: a simulated count that differs from this replay measures what the real code adds
 * (concurrent misses in different workers, clock jitter at the expiry boundary), free of sampling noise.
 * With a `loss`, the shared store forgets the lost trusts' tokens at loss.at: the replay minus the replay
 * without it is the extra a server's death costs this very stream (each lost trust notified again while its
 * token was still valid mints once more (earlyRemints), and its later renewals come earlier with that mint, so
 * over a finite run the net extra is at most that).
 */
export function replayTokens(s: StreamSpec, design: Design, loss?: StoreLoss): Replay {
  let notifications = 0;
  let tokens = 0;
  let earlyRemints = 0;
  const entries = new Array<number>(s.workers).fill(0);
  const lastMint = new Float64Array(s.workers);
  const seen = new Uint8Array(s.workers);
  for (let i = 0; i < s.trusts; i++) {
    const xs = trustNotifications(s, i);
    notifications += xs.length;
    lastMint.fill(-Infinity);
    seen.fill(0);
    let sharedMint = -Infinity;
    // only a shared store loses records; per-worker caches live in the workers
    let lossDue = design === 'shared' && loss !== undefined && loss.trusts.has(i);
    for (const x of xs) {
      if (lossDue && x.t >= loss!.at) {
        lossDue = false;
        if (x.t - sharedMint < 1) earlyRemints++;
        sharedMint = -Infinity;
      }
      seen[x.worker] = 1;
      if (design === 'none') tokens++;
      else if (design === 'shared') {
        if (x.t - sharedMint >= 1) tokens++, (sharedMint = x.t);
      } else if (x.t - lastMint[x.worker] >= 1) tokens++, (lastMint[x.worker] = x.t);
    }
    if (design !== 'none') for (let w = 0; w < s.workers; w++) entries[w] += seen[w];
  }
  return { notifications, tokens, entriesPerWorker: entries, ...(loss ? { earlyRemints } : {}) };
}

/**
 * Sampling noise of the token count for a run of this size: the replay over `runs` other seeds (the seed under
 * test is not among them). For a deterministic stream (ticks, round-robin) the sd is 0.
 */
export function replayNoise(s: StreamSpec, design: Design, runs = 200): { mean: number; sd: number; runs: number } {
  if (s.stream === 'ticks' && s.routing === 'round-robin') {
    return { mean: replayTokens(s, design).tokens, sd: 0, runs: 1 };
  }
  const counts: number[] = [];
  for (let k = 1; k <= runs; k++) counts.push(replayTokens({ ...s, seed: (s.seed + 7919 * k) | 0 }, design).tokens);
  const mean = counts.reduce((a, b) => a + b, 0) / runs;
  const sd = Math.sqrt(counts.reduce((a, c) => a + (c - mean) ** 2, 0) / Math.max(1, runs - 1));
  return { mean, sd, runs };
}
