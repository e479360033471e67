import { describe, expect, it } from 'vitest';
import { leastSquares } from '../src/stats/ols.ts';
import { meanWithCi, t975 } from '../src/stats/t-dist.ts';
import { bootstrapSlopeCi, mulberry32 } from '../src/stats/bootstrap.ts';
import { perObjectSlope } from '../src/stats/per-object.ts';
import type { Sample } from '../src/results/schema.ts';
import { designResult } from '../src/analysis/design-result.ts';

/** Samples on a known line (fixed cost + slope × n) with seeded noise. */
function synthetic(slope: number, noise: number, trials = 5, sizes = [0, 2500, 5000, 7500, 10000]): Sample[] {
  const rand = mulberry32(42);
  const out: Sample[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    for (const n of sizes) {
      const v = 50e6 + slope * n + (rand() - 0.5) * 2 * noise;
      out.push({ n, trial, rss: v, heapUsed: v, heapTotal: v, external: 1000, arrayBuffers: 10, pidusageRss: v });
    }
  }
  return out;
}

describe('statistics', () => {
  it('least squares recovers an exact line with R² = 1', () => {
    const f = leastSquares([0, 1, 2, 3], [10, 13, 16, 19]);
    expect(f.slope).toBeCloseTo(3, 12);
    expect(f.intercept).toBeCloseTo(10, 12);
    expect(f.r2).toBeCloseTo(1, 12);
  });

  it('t quantiles match the table and approach the normal', () => {
    expect(t975(4)).toBeCloseTo(2.776, 3);
    expect(t975(1000)).toBeCloseTo(1.962, 2);
  });

  it('mean CI contains the mean and narrows with less spread', () => {
    const wide = meanWithCi([1, 5, 9, 3, 7]);
    const narrow = meanWithCi([4.9, 5, 5.1, 5, 5]);
    expect(wide.ci95[0]).toBeLessThan(5);
    expect(wide.ci95[1]).toBeGreaterThan(5);
    expect(narrow.ci95[1] - narrow.ci95[0]).toBeLessThan(wide.ci95[1] - wide.ci95[0]);
  });

  it('per-object slope recovers a known 47 KB/object from noisy samples, CI covering it', () => {
    const s = perObjectSlope(synthetic(48_128, 2e6), 'rss')!;
    expect(s.bytes).toBeGreaterThan(47_000);
    expect(s.bytes).toBeLessThan(49_300);
    expect(s.ci95[0]).toBeLessThan(48_128);
    expect(s.ci95[1]).toBeGreaterThan(48_128);
    expect(s.trialSlopes).toHaveLength(5);
    expect(s.r2).toBeGreaterThan(0.99);
    expect(s.intercept).toBeGreaterThan(48e6);
  });

  it('fits the build (N > 0) and reports a step at N = 0 as a one-off, not per object', () => {
    // 420 B per entry over 20 readings, and an N = 0 reading 8 MB above the line (memory the warm-up freed)
    const sizes = Array.from({ length: 21 }, (_, i) => i * 500);
    const samples = synthetic(420, 20_000, 4, sizes).map((s) => (s.n === 0 ? { ...s, rss: s.rss + 8 * 2 ** 20 } : s));
    const s = perObjectSlope(samples, 'rss')!;
    expect(s.bytes).toBeGreaterThan(410);
    expect(s.bytes).toBeLessThan(430);
    expect(s.zeroStep!.bytes).toBeLessThan(-7.9 * 2 ** 20);
    expect(s.zeroStep!.ci95[1]).toBeLessThan(0);
    // fitted with the N = 0 point, the same samples would lose about half the cost: 420 − 8 MB × 5000 / Σ(n − n̄)² ≈ 200 B
    const withZero = leastSquares(samples.filter((x) => x.trial === 1).map((x) => x.n), samples.filter((x) => x.trial === 1).map((x) => x.rss));
    expect(withZero.slope).toBeLessThan(250);
    // no step: the N = 0 reading lies on the line and the step's CI covers 0
    const clean = perObjectSlope(synthetic(420, 20_000, 4, sizes), 'rss')!;
    expect(clean.zeroStep!.ci95[0]).toBeLessThan(0);
    expect(clean.zeroStep!.ci95[1]).toBeGreaterThan(0);
  });

  it('trials that agree on growth below one reading\'s scatter are not resolved, however tight their CI', () => {
    // 13 B per entry over N = 5 … 200, each reading ±50 KB off the line in the same pattern in every trial
    const sizes = Array.from({ length: 40 }, (_, i) => (i + 1) * 5);
    const samples: Sample[] = [1, 2, 3].flatMap((trial) => sizes.map((n, i) => {
      const v = 9e6 + 13 * n + (i % 2 ? 50 : -50) * 1024;
      return { n, trial, rss: v, heapUsed: v, heapTotal: v, external: 0, arrayBuffers: 0, pidusageRss: v };
    }));
    const s = perObjectSlope(samples, 'heapUsed')!;
    expect(s.ci95[1] - s.ci95[0]).toBeLessThan(1); // the trials agree exactly
    expect(s.readingSd).toBeGreaterThan(50_000);
    expect(s.resolution).toMatchObject({ resolved: false, atN: 200 });
    expect(s.resolution!.needsN).toBeGreaterThanOrEqual((4 * s.readingSd!) / s.bytes); // where the growth passes 4 readings' scatter
    expect(s.resolution!.needsN).toBeGreaterThan(1000);
    expect(s.resolution!.below).toBeUndefined(); // no upper bound from readings that could not see the cost
    // the same scatter over a range where the growth is 4 × larger than it: resolved
    expect(perObjectSlope(samples.map((x) => ({ ...x, heapUsed: x.heapUsed! + 1100 * x.n })), 'heapUsed')!.resolution!.resolved).toBe(true);
  });

  it('takes an RSS drop of megabytes at one reading out of that trial\'s line, and says so; growth is never touched', () => {
    const sizes = Array.from({ length: 40 }, (_, i) => (i + 1) * 250);
    const base = synthetic(430, 20_000, 4, sizes);
    // trial 2 hands 9 MB back at N = 1000; trial 3 has a one-off rise of 9 MB (kept: growth is never taken out)
    const samples = base.map((x) => ({ ...x, rss: x.rss + (x.trial === 2 && x.n >= 1000 ? -9 * 2 ** 20 : 0) + (x.trial === 3 && x.n >= 5000 ? 9 * 2 ** 20 : 0) }));
    const s = perObjectSlope(samples, 'rss')!;
    expect(s.releases).toHaveLength(1);
    expect(s.releases![0]).toMatchObject({ trial: 2, n: 1000 });
    expect(s.releases![0].bytes).toBeGreaterThan(8.9 * 2 ** 20);
    expect(s.trialSlopes[1]).toBeGreaterThan(415); // trial 2's line without the drop
    expect(s.trialSlopes[2]).toBeGreaterThan(1000); // trial 3's rise is counted
    // heapUsed is the V8 heap's own count, not memory the OS holds: never adjusted
    expect(perObjectSlope(samples.map((x) => ({ ...x, heapUsed: x.rss })), 'heapUsed')!.releases).toBeUndefined();
    // page-sized jitter is not a release
    expect(perObjectSlope(base, 'rss')!.releases).toBeUndefined();
  });

  it('finds a release among four readings of a trial (the median of three steps stands), not among three', () => {
    // 64 KiB entries read at N = 100..400: trial 2 gives 15 MB back at its last reading
    const at = (sizes: number[]) => [1, 2].flatMap((trial) => [0, ...sizes].map((n) => {
      const v = 67e6 + 67_000 * n + (trial === 2 && n === sizes[sizes.length - 1] ? -15e6 : 0) + (n % 200 ? 40_000 : -40_000);
      return { n, trial, rss: v, heapUsed: v, heapTotal: v, external: 0, arrayBuffers: 0, pidusageRss: v };
    }));
    const four = perObjectSlope(at([100, 200, 300, 400]), 'rss')!;
    expect(four.releases).toEqual([expect.objectContaining({ trial: 2, n: 400 })]);
    expect(Math.abs(four.trialSlopes[1] - 67_000)).toBeLessThan(3_000);
    // with two steps the drop cannot be told from the usual step: left alone
    expect(perObjectSlope(at([200, 300, 400]), 'rss')!.releases).toBeUndefined();
  });

  it('a step megabytes short of the usual one is a release even when RSS still rose; a dip made up at once is not', () => {
    // a full client's 8.4 MB per step: trial 1 gives 4 MB back between N = 250 and 500 (RSS still rises 4.4 MB)
    const sizes = [250, 500, 750, 1000, 1250, 1500, 1750, 2000];
    const at = (shape: (n: number) => number) => [1, 2].flatMap((trial) => [0, ...sizes].map((n) => {
      const v = 68e6 + 33_600 * n + (n % 500 ? 30_000 : -30_000) + (trial === 1 ? shape(n) : 0);
      return { n, trial, rss: v, heapUsed: v, heapTotal: v, external: 0, arrayBuffers: 0, pidusageRss: v };
    }));
    const released = perObjectSlope(at((n) => (n >= 500 ? -4e6 : 0)), 'rss')!;
    expect(released.releases).toEqual([expect.objectContaining({ trial: 1, n: 500 })]);
    expect(Math.abs(released.trialSlopes[0] - 33_600)).toBeLessThan(300);
    // the same shortfall made up by the next step: one low reading, not memory given back
    expect(perObjectSlope(at((n) => (n === 500 ? -4e6 : 0)), 'rss')!.releases).toBeUndefined();
  });

  it('a flat metric has slope ~0 and a CI that covers 0', () => {
    const s = perObjectSlope(synthetic(0, 1e5), 'heapUsed')!;
    expect(Math.abs(s.bytes)).toBeLessThan(20);
    expect(s.ci95[0]).toBeLessThan(0);
    expect(s.ci95[1]).toBeGreaterThan(0);
  });

  it('falls back to a bootstrap CI with a single trial', () => {
    const s = perObjectSlope(synthetic(600, 5e4, 1), 'heapUsed')!;
    expect(Number.isFinite(s.ci95[0])).toBe(true);
    expect(s.ci95[0]).toBeLessThan(s.bytes);
    expect(bootstrapSlopeCi([0, 1], [0, 1])).toEqual([NaN, NaN]);
  });

  it('skips metrics a design does not have', () => {
    expect(perObjectSlope(synthetic(1, 1), 'storeUsedMemory')).toBeUndefined();
  });
});

describe('the RSS split (live heap, slack, outside the heap)', () => {
  /** node samples with their own heapTotal line: flat (the heap grew inside pages already committed) or growing */
  const samples = (heapTotalSlope: number): Sample[] => {
    const rand = mulberry32(7);
    const out: Sample[] = [];
    for (let trial = 1; trial <= 3; trial++) {
      for (const n of [0, 1000, 2000, 3000, 4000, 5000]) {
        const heapUsed = 10e6 + 200 * n + rand() * 200;
        const heapTotal = 12e6 + heapTotalSlope * n + rand() * 200;
        const rss = 50e6 + 220 * n + (rand() - 0.5) * 20e3;
        out.push({ n, trial, rss, pidusageRss: rss, heapUsed, heapTotal, external: 1000, arrayBuffers: 10 });
      }
    }
    return out;
  };
  const result = (s: Sample[]) => designResult({ id: 'x', title: 'x', runtime: 'node', topology: 'per-worker', needs: [] }, [0, 5000],
    { samples: s, failures: [], tokensIssued: 0, wallMs: 0, trials: 3 });

  it('adds up to the RSS slope when every part is resolved', () => {
    const b = result(samples(205)).rssBreakdown!;
    expect(b.liveHeap).toBeCloseTo(200, 0);
    expect(b.heapSlack).toBeCloseTo(5, 0);
    expect(b.liveHeap + b.heapSlack + b.outsideHeap).toBeCloseTo(result(samples(205)).perObject.rss!.bytes, 6);
  });

  it('is left out when heapTotal did not move: its parts would not add up to the RSS', () => {
    const r = result(samples(0));
    expect(r.perObject.rss!.bytes).toBeGreaterThan(0);
    expect(r.rssBreakdown).toBeUndefined();
  });
});
