// Fallback test when a side has fewer than two trial slopes (no variance, so no t-test): a seeded bootstrap of
// the difference of means. A side with ≥ 2 slopes is resampled; a side with one slope has no spread of its own,
// and resampling it would pretend it is exact, so its mean is drawn from a normal matching its reported 95 % CI
// (for a single trial that CI is the bench's bootstrap over the samples).
import { mulberry32 } from '../stats/bootstrap.ts';
import { mean, type MeanDifference } from './mean-difference.ts';

export interface BootstrapSide {
  /** the finite per-trial slopes */
  values: readonly number[];
  /** the reported mean and 95 % CI, used when values has fewer than two entries */
  bytes: number;
  ci95: readonly [number, number];
}

type Draw = (rand: () => number) => number;

function drawFor(side: BootstrapSide): Draw | undefined {
  const v = side.values;
  if (v.length >= 2) {
    return (rand) => {
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[Math.floor(rand() * v.length)];
      return s / v.length;
    };
  }
  const centre = v.length === 1 ? v[0] : side.bytes;
  const [lo, hi] = side.ci95;
  if (!Number.isFinite(centre) || !Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) return undefined;
  const se = (hi - lo) / (2 * 1.959964);
  return (rand) => centre + se * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** undefined when a side carries no spread at all (no trial slopes and no interval): nothing can be tested. */
export function bootstrapMeanDifference(old: BootstrapSide, next: BootstrapSide, resamples = 10_000, seed = 1): MeanDifference | undefined {
  const drawOld = drawFor(old);
  const drawNew = drawFor(next);
  if (!drawOld || !drawNew) return undefined;
  const rand = mulberry32(seed);
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) diffs[r] = drawNew(rand) - drawOld(rand);
  diffs.sort();
  let below = 0;
  let above = 0;
  for (const d of diffs) {
    if (d <= 0) below++;
    if (d >= 0) above++;
  }
  // two-sided percentile p-value; the +1 keeps it from claiming p = 0 out of finitely many resamples
  const p = Math.min(1, (2 * Math.min(below, above) + 1) / (resamples + 1));
  const at = (q: number) => diffs[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))];
  const centreOf = (s: BootstrapSide) => (s.values.length ? mean(s.values) : s.bytes);
  return { method: 'bootstrap', diff: centreOf(next) - centreOf(old), ci95: [at(0.025), at(0.975)], p };
}
