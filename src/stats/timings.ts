// Summary statistics of one operation's timings (ms), in the shape tinybench gives the node tasks: mean, p50 and
// p99 (nearest rank), the relative margin of error of the mean (95 %, Student's t), samples and throughput.
import type { LatencyResult } from '../results/schema.ts';
import { meanWithCi } from './t-dist.ts';

export type TimingStats = Omit<LatencyResult, 'name' | 'design'>;

/** Nearest-rank quantile of sorted values, 0 < q ≤ 1. */
const rank = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

export function timingStats(ms: readonly number[]): TimingStats | null {
  if (ms.length < 2) return null;
  const { mean, ci95 } = meanWithCi(ms);
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    meanMs: mean, p50Ms: rank(sorted, 0.5), p99Ms: rank(sorted, 0.99), rme: ((ci95[1] - mean) / mean) * 100,
    samples: ms.length, opsPerSec: 1000 / mean,
  };
}
