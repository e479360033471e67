// What both tests of "did the per-object cost move?" return: the difference of the mean per-trial slopes
// (new − old, bytes per object), its 95 % interval and a two-sided p-value.
export interface MeanDifference {
  method: 'welch' | 'bootstrap';
  /** mean(new) − mean(old) */
  diff: number;
  ci95: [number, number];
  p: number;
  /** Welch only */
  t?: number;
  df?: number;
}

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function sampleVariance(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
}
