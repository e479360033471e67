// Welch's two-sample t-test on the per-trial slopes: each trial is an independent fresh process, and the two
// runs need not have the same number of trials or the same spread, which Student's pooled test would assume.
import { tQuantile, tTwoSidedP } from '../stats/t-cdf.ts';
import { mean, sampleVariance, type MeanDifference } from './mean-difference.ts';

/** Needs at least two values on each side. */
export function welchTest(old: readonly number[], next: readonly number[]): MeanDifference {
  if (old.length < 2 || next.length < 2) throw new Error('welchTest needs at least two values per side');
  const diff = mean(next) - mean(old);
  const vo = sampleVariance(old) / old.length;
  const vn = sampleVariance(next) / next.length;
  const se = Math.sqrt(vo + vn);
  if (se === 0) {
    // identical trials on both sides: the difference is exact (e.g. a metric that never moves)
    return { method: 'welch', diff, ci95: [diff, diff], p: diff === 0 ? 1 : 0, t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: NaN };
  }
  const t = diff / se;
  // Welch–Satterthwaite degrees of freedom
  const df = (vo + vn) ** 2 / (vo ** 2 / (old.length - 1) + vn ** 2 / (next.length - 1));
  const half = tQuantile(0.975, df) * se;
  return { method: 'welch', diff, ci95: [diff - half, diff + half], p: tTwoSidedP(t, df), t, df };
}
