// Percentile bootstrap of the pooled slope, resampling whole points: used when fewer than two trials produced a
// slope (no t interval exists) and reported beside the t interval as a cross-check. Seeded: reruns agree.
import { leastSquares } from './ols.ts';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function bootstrapSlopeCi(xs: readonly number[], ys: readonly number[], resamples = 2000, seed = 1): [number, number] {
  const n = xs.length;
  if (n < 3) return [NaN, NaN];
  const rand = mulberry32(seed);
  const slopes: number[] = [];
  const bx = new Array<number>(n);
  const by = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rand() * n);
      bx[i] = xs[j];
      by[i] = ys[j];
    }
    const { slope } = leastSquares(bx, by);
    if (Number.isFinite(slope)) slopes.push(slope);
  }
  if (slopes.length < resamples / 2) return [NaN, NaN];
  slopes.sort((a, b) => a - b);
  const at = (q: number) => slopes[Math.min(slopes.length - 1, Math.max(0, Math.floor(q * slopes.length)))];
  return [at(0.025), at(0.975)];
}
