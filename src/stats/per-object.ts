// Per-object cost of one metric for one design: a slope per trial (each trial is a full sweep over the sizes),
// then the mean of those slopes with a t interval across trials, and R² of the fit over all points together.
// The fit takes the build's readings (N > 0); the N = 0 reading gives the one-off step beside the slope.
import { METRIC_NAMES } from '../results/metrics.ts';
import type { MetricName, Resolution, Sample, Slope } from '../results/schema.ts';
import { bootstrapSlopeCi } from './bootstrap.ts';
import { leastSquares } from './ols.ts';
import { withoutReleases, type Point } from './releases.ts';
import { meanWithCi } from './t-dist.ts';

/**
 * A figure a sample can carry: the metrics, and readings that only explain one (V8's heapTotal; python's
 * allocators: allocatorsHeld = pymalloc's arenas + what glibc's malloc got from the OS).
 */
export type SampleFigure = MetricName | 'heapTotal' | 'tracemallocOwn' | 'allocatorsHeld';

export function metricValue(s: Sample, metric: SampleFigure): number | undefined {
  if (metric === 'allocatorsHeld') return s.pymallocArenas !== undefined && s.mallocHeld !== undefined ? s.pymallocArenas + s.mallocHeld : undefined;
  // V8's external already includes arrayBuffers (Node's docs), so adding them would count Buffers twice.
  if (metric === 'external') return s.external;
  const v = s[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The figures that are a process's resident memory, which the OS can take back at any reading. */
const RELEASE_METRICS: ReadonlyArray<SampleFigure> = ['rss', 'pidusageRss'];

export function perObjectSlope(samples: readonly Sample[], metric: SampleFigure): Slope | undefined {
  const all = samples.flatMap((s): Point[] => {
    const v = metricValue(s, metric);
    return v === undefined ? [] : [{ n: s.n, trial: s.trial, v }];
  });
  // The slope is fitted to the build's readings: the N = 0 reading (right after the warm-up's entries were
  // dropped) is set apart whenever the build gave at least two sizes, and its difference is the one-off step.
  const readings = all.filter((p) => p.n > 0);
  // process RSS: a drop of megabytes at one reading is memory handed back, not the entries' (src/stats/releases.ts)
  const { points: built, releases } = RELEASE_METRICS.includes(metric) ? withoutReleases(readings) : { points: readings, releases: [] };
  const points = new Set(built.map((p) => p.n)).size >= 2 ? built : all;
  if (new Set(points.map((p) => p.n)).size < 2) return undefined;

  const trialSlopes: number[] = [];
  const trialIntercepts: Record<string, number> = {};
  const steps: number[] = [];
  let sse = 0;
  let dof = 0;
  for (const trial of new Set(points.map((p) => p.trial))) {
    const own = points.filter((p) => p.trial === trial);
    const fit = leastSquares(own.map((p) => p.n), own.map((p) => p.v));
    if (!Number.isFinite(fit.slope)) continue;
    trialSlopes.push(fit.slope);
    trialIntercepts[trial] = fit.intercept;
    for (const p of own) sse += (p.v - (fit.intercept + fit.slope * p.n)) ** 2;
    dof += own.length - 2;
    const zero = points === built ? all.filter((p) => p.trial === trial && p.n === 0) : [];
    if (zero.length) steps.push(fit.intercept - zero.reduce((a, p) => a + p.v, 0) / zero.length);
  }
  const xs = points.map((p) => p.n);
  const ys = points.map((p) => p.v);
  const pooled = leastSquares(xs, ys);
  const across = trialSlopes.length >= 2 ? meanWithCi(trialSlopes) : undefined;
  const bytes = across?.mean ?? pooled.slope;
  const ci95 = across ? across.ci95 : bootstrapSlopeCi(xs, ys);
  // the scatter of one reading about its trial's line: what a reading can tell apart
  const readingSd = dof > 0 ? Math.sqrt(sse / dof) : undefined;
  const span = Math.max(...xs) - Math.min(...xs);
  const slope: Slope = {
    bytes, ci95, r2: pooled.r2, trialSlopes, intercept: pooled.intercept, trialIntercepts,
    ...(readingSd !== undefined ? { readingSd } : {}),
    ...(releases.length && points === built ? { releases } : {}),
    resolution: resolution(bytes, ci95, Math.max(...xs), readingSd === undefined ? undefined : { span, readingSd }),
  };
  if (steps.length >= 2) {
    const s = meanWithCi(steps);
    slope.zeroStep = { bytes: s.mean, ci95: s.ci95 };
  }
  return slope;
}

/**
 * A per-object figure is resolved when its 95 % CI lies above 0 (memory per object cannot be negative, and a CI
 * that includes 0 cannot tell the cost from nothing) and the growth it implies over the measured range is at least
 * NOISE_FLOOR readings' scatter: trials that agree on a line flatter than one reading's scatter (all of them
 * below V8's heap granularity, say) give a tight CI around a number they never saw. Otherwise say at which N it
 * would be, at this noise: the CI's half-width shrinks about as 1/N with the N range, so it falls below the
 * estimate near N × half-width / estimate, and the growth passes the floor near NOISE_FLOOR × scatter / estimate.
 */
export const NOISE_FLOOR = 4;

export function resolution(bytes: number, ci95: [number, number], atN: number, noise?: { span: number; readingSd: number }): Resolution {
  const aboveNoise = !noise || bytes * noise.span >= NOISE_FLOOR * noise.readingSd;
  if (ci95[0] > 0 && bytes > 0 && aboveNoise) return { resolved: true, atN };
  const half = (ci95[1] - ci95[0]) / 2;
  const out: Resolution = { resolved: false, atN };
  const roundUp = (n: number) => Math.ceil(n / 1000) * 1000;
  if (bytes > 0 && Number.isFinite(half)) out.needsN = roundUp((atN * 2 * half) / bytes);
  if (bytes > 0 && noise && !aboveNoise) out.needsN = Math.max(out.needsN ?? 0, roundUp((NOISE_FLOOR * noise.readingSd) / bytes));
  // an upper bound only from a CI that describes the figure: not from readings that could not see it
  if (ci95[1] > 0 && aboveNoise) out.below = ci95[1];
  return out;
}

export function perObjectAll(samples: readonly Sample[], metrics: readonly MetricName[] = METRIC_NAMES): Partial<Record<MetricName, Slope>> {
  const out: Partial<Record<MetricName, Slope>> = {};
  for (const m of metrics) {
    const s = perObjectSlope(samples, m);
    if (s) out[m] = s;
  }
  return out;
}
