// Per-object cost of one metric for one design: a slope per trial (each trial is a full sweep over the sizes),
// then the mean of those slopes with a t interval across trials, and R² of the fit over all points together.
import type { MetricName, Sample, Slope } from '../results/schema.ts';
import { bootstrapSlopeCi } from './bootstrap.ts';
import { leastSquares } from './ols.ts';
import { meanWithCi } from './t-dist.ts';

export function metricValue(s: Sample, metric: MetricName): number | undefined {
  // V8's external already includes arrayBuffers (Node's docs), so adding them would count Buffers twice.
  if (metric === 'external') return s.external;
  const v = s[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function perObjectSlope(samples: readonly Sample[], metric: MetricName): Slope | undefined {
  const points = samples.flatMap((s) => {
    const v = metricValue(s, metric);
    return v === undefined ? [] : [{ n: s.n, trial: s.trial, v }];
  });
  if (new Set(points.map((p) => p.n)).size < 2) return undefined;

  const trialSlopes: number[] = [];
  for (const trial of new Set(points.map((p) => p.trial))) {
    const own = points.filter((p) => p.trial === trial);
    const fit = leastSquares(own.map((p) => p.n), own.map((p) => p.v));
    if (Number.isFinite(fit.slope)) trialSlopes.push(fit.slope);
  }
  const xs = points.map((p) => p.n);
  const ys = points.map((p) => p.v);
  const pooled = leastSquares(xs, ys);
  const across = trialSlopes.length >= 2 ? meanWithCi(trialSlopes) : undefined;
  return {
    bytes: across?.mean ?? pooled.slope,
    ci95: across ? across.ci95 : bootstrapSlopeCi(xs, ys),
    r2: pooled.r2,
    trialSlopes,
    intercept: pooled.intercept,
  };
}

/** Metrics reported for every design, plus the ones only some samples carry (Redis, python). */
export const METRICS: MetricName[] = ['heapUsed', 'external', 'rss', 'pidusageRss', 'redisUsedMemory', 'redisRss', 'tracemalloc'];

export function perObjectAll(samples: readonly Sample[]): Partial<Record<MetricName, Slope>> {
  const out: Partial<Record<MetricName, Slope>> = {};
  for (const m of METRICS) {
    const s = perObjectSlope(samples, m);
    if (s) out[m] = s;
  }
  return out;
}
