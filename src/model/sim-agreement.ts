// How a simulated token count is judged against the model (src/model/tokens.ts): pure arithmetic over what the
// simulation (src/simulate/run.ts) counted, so the CLI's verdict and the tests' assertions are one rule.
import { cacheRates, coverTicks, earlyRemintShare, trustChain } from './firing.ts';
import type { StreamSpec } from './sim-stream.ts';

/** What the verdict needs of one design's simulated run. */
export interface SimCount {
  /** tokens the stand-in issued during the stream */
  tokensIssued: number;
  /** shared designs: mints that overlapped another worker's mint of the same trust */
  concurrentMints: number;
  /** the model's expectation for this run */
  expected: { tokens: number };
  /** sd of the count over other seeds (0 for a deterministic stream) */
  noiseSd: number;
  errors: number;
  /** the stream's eviction policy: LRU is judged against Che's approximation, with its own tolerance */
  eviction?: { kind: string };
  /** a store server killed mid-run: the extra tokens it cost, and the replay's prediction of them */
  loss?: { extraVsReplay: number; predictedExtra: number | null };
}

/** Mints of one trust whose calls overlap in time and come from different workers (the later ones count). */
export function overlappingMints(perWorker: Array<{ worker: number; mints: number[] }>): number {
  const byTrust = new Map<number, Array<[number, number, number]>>();
  for (const { worker, mints } of perWorker) {
    for (let i = 0; i + 2 < mints.length; i += 3) {
      const list = byTrust.get(mints[i]) ?? [];
      list.push([mints[i + 1], mints[i + 2], worker]);
      byTrust.set(mints[i], list);
    }
  }
  let overlaps = 0;
  for (const list of byTrust.values()) {
    list.sort((a, b) => a[0] - b[0]);
    let end = -Infinity;
    let owner = -1;
    for (const [start, stop, worker] of list) {
      if (start <= end && worker !== owner) overlaps++;
      if (stop > end) (end = stop), (owner = worker);
    }
  }
  return overlaps;
}

/** How a design's simulated count compares with the model: the verdict the CLI prints and the tests assert. */
export interface Agreement {
  /** simulated tokens minus the duplicates of concurrent misses (shared designs; the model is single-flight) */
  singleFlightTokens: number;
  /** (singleFlightTokens − expected) / expected */
  deviation: number;
  /** deviation in noise sds (null for a deterministic stream) */
  z: number | null;
  /** within 1 % of the model (3 % for LRU, an approximation), or within 3 sd of noise when a run is too small */
  ok: boolean;
  /** a server was killed: the extra tokens it cost are within LOSS_TOLERANCE of the prediction (null: no prediction) */
  lossOk?: boolean | null;
}

export const AGREEMENT_TOLERANCE = 0.01;
/** LRU's expectation is Che's approximation (an entry lives a fixed idle time), not an exact count. */
export const LRU_TOLERANCE = 0.03;

/**
 * How close the extra tokens of a server's death must come to the replay's prediction: 10 %, or 3 tokens for a
 * small run. The kill lands a few ms from where the replay puts it and a late worker may handle a notification
 * on the other side of it; a token near an expiry boundary may flip.
 */
export const LOSS_TOLERANCE = 0.1;
export const LOSS_SLACK_TOKENS = 3;

export function lossAgrees(extra: number, predicted: number): boolean {
  return Math.abs(extra - predicted) <= Math.max(LOSS_SLACK_TOKENS, LOSS_TOLERANCE * Math.abs(predicted));
}

/**
 * With a server killed, the model (which knows no failure) is compared with the count less the predicted extra,
 * and the extra itself with its prediction; without a prediction the model alone judges, and the extra shows.
 */
export function agreement(d: SimCount): Agreement {
  const singleFlightTokens = d.tokensIssued - d.concurrentMints;
  const diff = singleFlightTokens - (d.loss?.predictedExtra ?? 0) - d.expected.tokens;
  const deviation = d.expected.tokens > 0 ? diff / d.expected.tokens : diff === 0 ? 0 : Infinity;
  const z = d.noiseSd > 0 ? diff / d.noiseSd : null;
  const lossOk = d.loss ? (d.loss.predictedExtra === null ? null : lossAgrees(d.loss.extraVsReplay, d.loss.predictedExtra)) : undefined;
  const tolerance = d.eviction?.kind === 'lru' ? LRU_TOLERANCE : AGREEMENT_TOLERANCE;
  const ok = d.errors === 0 && lossOk !== false && (Math.abs(deviation) <= tolerance || (z !== null && Math.abs(z) <= 3));
  return { singleFlightTokens, deviation, z, ok, ...(lossOk !== undefined ? { lossOk } : {}) };
}

/**
 * The model's expectation of the early re-mints when the store forgets `lost` trusts in steady state: each that
 * holds a live token and is notified again before it expires mints once more. Poisson: a live token's age is
 * uniform over the period, so P = x/(1+x) × (1 − (1 − e^−x)/x) with x notifications per period; episodes: the
 * lattice (src/model/firing.ts earlyRemintShare). Ticks streams: null (deterministic; the replay says it).
 */
export function modelEarlyRemints(s: Pick<StreamSpec, 'stream' | 'notificationsPerTrustPerPeriod' | 'firing'>, lost: number): number | null {
  const x = s.notificationsPerTrustPerPeriod;
  if (s.stream === 'poisson') return lost * (x / (1 + x)) * (1 - -Math.expm1(-x) / x);
  if (s.stream !== 'episodes' || !s.firing) return null;
  const chain = trustChain({ model: 'episodes', fraction: s.firing.fraction, episodeMinutes: s.firing.episodeTicks }, 60, 1);
  const c = { chain, rho: 1, cover: coverTicks(1, 1 / x) };
  return cacheRates(c).mintsPerTick > 0 ? lost * earlyRemintShare(c) : 0;
}
