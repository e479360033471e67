// Two-sided 95 % quantiles of Student's t (t_{0.975, df}): the confidence interval of a mean over a handful of
// trials needs t, not the normal 1.96, or it claims more certainty than 5 trials give.
const T975 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function t975(df: number): number {
  if (!Number.isFinite(df) || df < 1) return NaN;
  if (df < T975.length) return T975[Math.floor(df)];
  // Cornish–Fisher expansion around the normal quantile; error < 1e-3 for df > 30.
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

export interface MeanCi {
  mean: number;
  ci95: [number, number];
  sd: number;
}

export function meanWithCi(values: readonly number[]): MeanCi {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, ci95: [NaN, NaN], sd: NaN };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = t975(n - 1) * (sd / Math.sqrt(n));
  return { mean, ci95: [mean - half, mean + half], sd };
}
