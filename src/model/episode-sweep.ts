// Tokens/day against the mean episode duration, for the chart of `npm run model --chart`: how much a cache saves
// depends on how long alarms stay in the alarm state. Each topology (no cache, a cache per worker, one shared
// store) on the evaluator's lattice (src/model/firing.ts) at durations from one evaluation (or a minute) to a
// day, with the random and sticky models as the two ends. Pure arithmetic.
import { latticeOutcome, type Eviction, type FiringModel } from './firing.ts';

export const SWEEP_MINUTES: readonly number[] = [1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 720, 1440];

export interface SweepInputs {
  trusts: number;
  alarmsPerTrust: number;
  fraction: number;
  intervalS: number;
  usablePeriodS: number;
  workers: number;
  eviction: Eviction;
}

export interface SweepPoint {
  minutes: number;
  topology: 'none' | 'per-worker' | 'shared';
  tokensPerDay: number;
}

export interface Sweep {
  points: SweepPoint[];
  /** the two ends: independent draws at every evaluation, and the same alarms for ever */
  reference: Array<{ model: Exclude<FiringModel, 'episodes'>; topology: 'per-worker' | 'shared'; tokensPerDay: number }>;
  noCachePerDay: number;
  /** durations left out: shorter than one evaluation, or too short for the firing share */
  skipped: number[];
}

export function episodeSweep(x: SweepInputs, minutes: readonly number[] = SWEEP_MINUTES): Sweep {
  const ticksPerDay = 86_400 / x.intervalS;
  const noCachePerDay = x.trusts * x.alarmsPerTrust * x.fraction * ticksPerDay;
  const perDay = (model: FiringModel, topology: 'per-worker' | 'shared', episodeMinutes?: number) => latticeOutcome({
    firing: { model, fraction: x.fraction, episodeMinutes }, intervalS: x.intervalS, usablePeriodS: x.usablePeriodS, trusts: x.trusts,
    alarmsPerTrust: x.alarmsPerTrust, workers: x.workers, topology, eviction: x.eviction, horizonTicks: ticksPerDay,
  }).mintsPerTick * ticksPerDay;
  const points: SweepPoint[] = [];
  const skipped: number[] = [];
  for (const m of minutes) {
    try {
      const row = (['per-worker', 'shared'] as const).map((topology) => ({ minutes: m, topology, tokensPerDay: perDay('episodes', topology, m) }));
      points.push({ minutes: m, topology: 'none', tokensPerDay: noCachePerDay }, ...row);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      skipped.push(m);
    }
  }
  const reference = (['random', 'sticky'] as const).flatMap((model) =>
    (['per-worker', 'shared'] as const).map((topology) => ({ model, topology, tokensPerDay: perDay(model, topology) })));
  return { points, reference, noCachePerDay, skipped };
}
