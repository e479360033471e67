// Statistics of the Keystone load, pure: percentiles of latencies, CPU per operation over batches with a 95 % CI,
// and where a capacity curve stops rising.
import { meanWithCi } from '../stats/t-dist.ts';

/** Nearest-rank percentile (p in 0..1) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

export interface CpuBatch {
  ops: number;
  /** Keystone's CPU in the batch, ms */
  cpuMs: number;
  wallMs: number;
}

export interface CpuPerOp {
  mean: number;
  ci95: [number, number];
  /** batches the mean is over, and operations in each */
  batches: number;
  opsPerBatch: number;
  /** Keystone's CPU per second while idle, ms, taken off each batch */
  idleMsPerS: number;
  /** false when the CI reaches 0 or below: too few clock ticks per batch to tell */
  resolved: boolean;
  /** each batch's figure, in order */
  perBatch: number[];
}

/** CPU ms per operation: each batch's Keystone CPU less its idle share, per operation; mean and t-CI over batches. */
export function cpuPerOp(batches: readonly CpuBatch[], idleMsPerS: number): CpuPerOp | null {
  const per = batches.filter((b) => b.ops > 0).map((b) => (b.cpuMs - (idleMsPerS * b.wallMs) / 1000) / b.ops);
  if (per.length < 2) return null;
  const m = meanWithCi(per);
  return {
    mean: m.mean, ci95: m.ci95, batches: per.length, opsPerBatch: Math.round(batches.reduce((a, b) => a + b.ops, 0) / batches.length),
    idleMsPerS, resolved: m.ci95[0] > 0, perBatch: per,
  };
}

export interface CurvePoint {
  concurrency: number;
  perS: number;
  errors: number;
}

/** Rising concurrency stops after a level with errors, or after `flat` levels in a row without `rise` over the best. */
export function curveDone(points: readonly CurvePoint[], rise = 0.05, flat = 2): boolean {
  const last = points.at(-1);
  if (!last) return false;
  if (last.errors > 0) return true;
  let best = 0;
  let without = 0;
  for (const p of points) {
    if (p.perS > best * (1 + rise)) without = 0;
    else without++;
    best = Math.max(best, p.perS);
  }
  return without >= flat;
}

/** The saturation capacity: the highest throughput at a level without errors (any level if all had errors). */
export function capacity(points: readonly CurvePoint[]): { perS: number; concurrency: number } | null {
  const clean = points.filter((p) => p.errors === 0);
  const pool = clean.length ? clean : points;
  if (!pool.length) return null;
  const best = pool.reduce((a, b) => (b.perS > a.perS ? b : a));
  return { perS: best.perS, concurrency: best.concurrency };
}
