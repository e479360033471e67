import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCompareArgs } from '../src/cli/compare-args.ts';
import { UsageError } from '../src/cli/errors.ts';
import { bootstrapMeanDifference } from '../src/compare/bootstrap-diff.ts';
import { compareResults, regressions, renderComparison, type ComparisonRow } from '../src/compare/index.ts';
import { welchTest } from '../src/compare/welch.ts';
import { readResults } from '../src/results/read.ts';
import type { Results, Slope } from '../src/results/schema.ts';
import { tQuantile, tTwoSidedP } from '../src/stats/t-cdf.ts';
import { t975 } from '../src/stats/t-dist.ts';
import { syntheticResults } from './fixtures/synthetic-results.ts';
import { ROOT, runScript } from './helpers/run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kcb-compare-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const slopes = (d: Results['designs'][number]) => d.perObject as Record<string, Slope | undefined>;

/** A copy of r with every per-object figure of one design multiplied by factor (a planted change). */
function scaled(r: Results, designId: string, factor: number): Results {
  const out = structuredClone(r);
  const d = out.designs.find((x) => x.id === designId)!;
  for (const s of Object.values(slopes(d))) {
    if (!s) continue;
    s.bytes *= factor;
    s.ci95 = [s.ci95[0] * factor, s.ci95[1] * factor];
    s.trialSlopes = s.trialSlopes.map((x) => x * factor);
  }
  return out;
}

/** One design, one metric, with the given trial slopes: precise control over the statistics. */
function withSlopes(base: Results, trialSlopes: number[]): Results {
  const out = structuredClone(base);
  const mean = trialSlopes.reduce((a, b) => a + b, 0) / trialSlopes.length;
  out.designs = [{ ...out.designs[0], perObject: { heapUsed: { bytes: mean, ci95: [mean, mean], r2: 1, trialSlopes, intercept: 0 } } }];
  return out;
}

const both = (rows: ComparisonRow[]) => rows.filter((r) => r.presence === 'both' && r.metric);

function write(name: string, r: Results): string {
  const p = join(tmp, name);
  writeFileSync(p, JSON.stringify(r));
  return p;
}

describe('Student t and Welch', () => {
  it('Welch p-value matches a known value (scipy.stats.ttest_ind equal_var=False)', () => {
    const w = welchTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
    // by hand: diff 3, se √(2.5/5 + 10/5) = √2.5, t = 1.8974, df = 2.5² / (0.5²/4 + 2²/4) = 5.882
    expect(w.diff).toBe(3);
    expect(w.t).toBeCloseTo(1.8973665961010275, 12);
    expect(w.df).toBeCloseTo(5.882352941176471, 12);
    expect(w.p).toBeCloseTo(0.10753119493062728, 10);
    // its 95 % interval uses t(0.975, 5.882) = 2.45882
    expect(w.ci95[1] - w.diff).toBeCloseTo(2.458823709699146 * Math.sqrt(2.5), 8);
    expect(welchTest([100.1, 99.8, 100.3, 100.0, 99.9], [101.2, 100.9, 101.5, 101.1]).p).toBeCloseTo(0.00037858777314575065, 12);
  });

  it('t CDF agrees with the quantile table used for the bench intervals', () => {
    for (const df of [1, 2, 4, 10, 30]) {
      expect(tQuantile(0.975, df)).toBeCloseTo(t975(df), 2);
      expect(tTwoSidedP(t975(df), df)).toBeCloseTo(0.05, 3);
    }
    expect(tTwoSidedP(0, 3)).toBe(1);
  });

  it('falls back to a bootstrap when a side has a single trial slope', () => {
    const many = [1000, 1002, 998, 1001, 999];
    const moved = bootstrapMeanDifference({ values: many, bytes: 1000, ci95: [998, 1002] }, { values: [1200], bytes: 1200, ci95: [1190, 1210] })!;
    expect(moved.method).toBe('bootstrap');
    expect(moved.p).toBeLessThan(0.01);
    const same = bootstrapMeanDifference({ values: many, bytes: 1000, ci95: [998, 1002] }, { values: [1000], bytes: 1000, ci95: [990, 1010] })!;
    expect(same.p).toBeGreaterThan(0.5);
    // no trial slopes and no interval: nothing to test
    expect(bootstrapMeanDifference({ values: [], bytes: 1, ci95: [NaN, NaN] }, { values: many, bytes: 1000, ci95: [998, 1002] })).toBeUndefined();
    // and compareResults takes that path by itself
    const old = withSlopes(syntheticResults(), many);
    const next = withSlopes(syntheticResults(), [1200]);
    slopes(next.designs[0]).heapUsed!.ci95 = [1190, 1210];
    const [row] = compareResults(old, next).rows;
    expect(row.test!.method).toBe('bootstrap');
    expect(row.verdict).toBe('worse');
    expect(row.note).toContain('bootstrap: a side has fewer than 2 trial slopes');
  });
});

describe('compare: counts, unresolved figures, machines, the plan (issue 23 item 9)', () => {
  const slope = (bytes: number, trialSlopes: number[], resolved: boolean): Slope =>
    ({ bytes, ci95: resolved ? [bytes * 0.99, bytes * 1.01] : [-1, bytes + 1], r2: 1, trialSlopes, intercept: 0, resolution: { resolved, atN: 1000 } } as Slope);

  it('counts (fds, sockets) are counts, not bytes', () => {
    const base = syntheticResults();
    const r = structuredClone(base);
    r.designs = [{ ...r.designs[0], perObject: { fds: slope(1, [1, 1, 1], true), sockets: slope(1, [1, 1, 1], true) } }];
    const text = renderComparison(compareResults(r, r));
    expect(text).toMatch(/^\S+\s+fds\s+1 ±0\.01\s+1 ±0\.01\s/m);
    expect(text).toMatch(/^\S+\s+sockets\s+1 ±0\.01\s+1 ±0\.01\s/m);
    expect(text).not.toMatch(/fds\s+1 B/);
  });

  it('a figure not resolved in one run is "not resolved", never 0 or −100 % better', () => {
    const base = syntheticResults();
    const old = structuredClone(base);
    old.designs = [{ ...old.designs[0], perObject: { heapUsed: slope(400, [399, 400, 401], true) } }];
    const next = structuredClone(old);
    next.designs[0].perObject = { heapUsed: slope(0, [-3, 0, 3], false) };
    const c = compareResults(old, next);
    const [row] = c.rows;
    expect(row.verdict).toBe('not resolved');
    expect(row.changePct).toBeUndefined();
    expect(row.note).toMatch(/not resolved in the new run/);
    expect(regressions(c, 0)).toEqual([]);
    const text = renderComparison(c);
    expect(text).toMatch(/heapUsed\s+400 B ±4 B\s+not resolved\s+–\s+–\s+not resolved/);
    const line = text.split('\n').find((l) => /heapUsed/.test(l))!;
    expect(line).not.toMatch(/100 %|better|(^|\s)0 B/);
    expect(text).toMatch(/1 not resolved in a run/);
  });

  it('a few KB of total memory are the same machine; a different size is not', () => {
    const old = syntheticResults();
    const next = structuredClone(old);
    const mem = (r: Results, v: number) => ((r.meta as unknown as Record<string, unknown>).totalMemBytes = v);
    mem(old, 25_198_895_104);
    mem(next, 25_198_895_104 - 8192);
    expect(compareResults(old, next).differences).toEqual([]);
    mem(next, 16 * 1024 ** 3);
    expect(compareResults(old, next).differences.map((d) => d.field)).toEqual(['totalMemBytes']);
  });

  it('compares the plan: tokens/day and the recommendation for the default scenario', () => {
    const old = syntheticResults();
    const c = compareResults(old, old);
    expect(c.plan.scenario).toBe('trust-per-alarm');
    expect(c.plan.old!.recommendation).toBe(c.plan.new!.recommendation);
    expect(renderComparison(c)).toMatch(/^plan \(`npm run plan`, scenario trust-per-alarm preset\): recommendation \S+ → \S+ \(same\)/m);
    // the recommended design grows 100 000×: the plan's answer changes, and the comparison says so
    const rec = c.plan.old!.recommendation!;
    const c2 = compareResults(old, scaled(old, rec, 1e5));
    expect(c2.plan.changed).toBe(true);
    expect(c2.plan.new!.recommendation).not.toBe(rec);
    expect(renderComparison(c2, 'markdown')).toMatch(/\(CHANGED\)/);
    expect(JSON.parse(renderComparison(c2, 'json')).plan.changed).toBe(true);
  });
});

describe('compareResults', () => {
  it('a run against itself: no significant change everywhere', () => {
    for (const r of [syntheticResults(), readResults(join(ROOT, 'results/latest.json'))]) {
      const c = compareResults(r, r);
      expect(both(c.rows).length).toBeGreaterThan(10);
      for (const row of c.rows) {
        expect(row.presence).toBe('both');
        if (!row.old!.resolved) {
          // nothing to compare: never 0, never a percentage
          expect(row.verdict).toBe('not resolved');
          expect(row.changePct).toBeUndefined();
          continue;
        }
        expect(row.verdict).toBe('no significant change');
        // Welch on identical trials: p = 1 exactly; the bootstrap (a side with one trial, e.g. a python cross-check's
        // tracemalloc) draws both sides independently around the same centre, so p is near 1, never small
        if (row.test?.method === 'bootstrap') expect(row.test.p).toBeGreaterThan(0.9);
        else if (row.test) expect(row.test.p).toBe(1);
      }
      expect(c.plan.changed).toBe(false);
      expect(c.differences).toEqual([]);
      expect(regressions(c, 0)).toEqual([]);
    }
  });

  it('a planted 20 % regression is worse, an improvement better', () => {
    const old = syntheticResults();
    const c = compareResults(old, scaled(old, 'full-client', 1.2));
    for (const row of both(c.rows)) {
      if (!row.old!.resolved || !row.new!.resolved) {
        expect(row.verdict, row.metric!).toBe('not resolved');
      } else if (row.design === 'full-client') {
        expect(row.verdict, row.metric!).toBe('worse');
        expect(row.changePct!).toBeCloseTo(20, 6);
        expect(row.test!.method).toBe('welch');
      } else {
        expect(row.verdict).toBe('no significant change');
      }
    }
    expect(regressions(c, 5).length).toBe(both(c.rows).filter((r) => r.design === 'full-client' && r.verdict === 'worse').length);
    expect(regressions(c, 5).length).toBeGreaterThan(0);
    expect(regressions(c, 25)).toEqual([]);
    const better = compareResults(old, scaled(old, 'token-record', 0.8));
    const tokenRecord = (m: string) => better.rows.find((r) => r.design === 'token-record' && r.metric === m)!;
    expect(tokenRecord('heapUsed').verdict).toBe('better');
    expect(tokenRecord('heapUsed').changePct!).toBeCloseTo(-20, 6);
    // its external slope is noise around 0 B, not resolved: 20 % less of nothing is no number at all
    expect(tokenRecord('external').verdict).toBe('not resolved');
    expect(tokenRecord('external').changePct).toBeUndefined();
  });

  it('a significant 0.5 % change with tight trials is no change under the 1 % threshold', () => {
    const base = syntheticResults();
    const trials = [1000, 1000.4, 999.6, 1000.2, 999.8];
    const old = withSlopes(base, trials);
    const next = withSlopes(base, trials.map((x) => x * 1.005));
    const c = compareResults(old, next);
    const [row] = c.rows;
    expect(row.test!.p).toBeLessThan(0.001);
    expect(row.changePct!).toBeCloseTo(0.5, 6);
    expect(row.verdict).toBe('no significant change');
    // a verdict of no change is not printed beside the word "significant"
    expect(row.note).toContain('reaches inside the ±1 % noise threshold');
    expect(row.note).not.toMatch(/significant/);
    // the threshold, not the test, is what held it back
    expect(compareResults(old, next, { thresholdPct: 0.1 }).rows[0].verdict).toBe('worse');
  });

  it('lists designs and metrics found in one file only, whatever the metrics are called', () => {
    const old = syntheticResults();
    const next = structuredClone(old);
    next.designs = next.designs.filter((d) => d.id !== 'token-record');
    next.designs.push({ ...structuredClone(old.designs[1]), id: 'token-record-v2' });
    const redis = slopes(next.designs.find((d) => d.id === 'redis-handle')!);
    redis.redisUsedMemory = redis.storeUsedMemory; // the same figure under the name schema 1 gave it
    delete redis.storeUsedMemory;
    redis.openFds = { bytes: 0.01, ci95: [0, 0.02], r2: 0.1, trialSlopes: [0, 0.01, 0.02], intercept: 30 };
    const c = compareResults(old, next);
    const find = (design: string, metric: string) => c.rows.find((r) => r.design === design && r.metric === metric);
    expect(find('token-record', 'heapUsed')?.presence).toBe('old only');
    expect(find('token-record-v2', 'heapUsed')?.presence).toBe('new only');
    expect(find('redis-handle', 'storeUsedMemory')?.presence).toBe('old only');
    expect(find('redis-handle', 'redisUsedMemory')?.presence).toBe('new only');
    expect(find('redis-handle', 'openFds')?.presence).toBe('new only');
    expect(find('redis-handle', 'heapUsed')?.verdict).toBe('no significant change');
    const text = renderComparison(c);
    expect(text).toMatch(/token-record-v2 +heapUsed .*only in new/);
    expect(text).toMatch(/redis-handle +redisUsedMemory .*only in new/);
    expect(text).toMatch(/token-record +heapUsed .*only in old/);
  });

  it('points out a different machine, Node, Keystone and commit', () => {
    const old = syntheticResults();
    const next = structuredClone(old);
    Object.assign(next.meta, { cpu: 'Intel Xeon', cpus: 8, hostname: 'ci-7', node: 'v22.11.0', commit: 'abc1234' });
    next.meta.keystone.kind = 'real';
    const c = compareResults(old, next);
    expect(c.differences.map((d) => d.kind).sort()).toEqual(['commit', 'keystone', 'machine', 'machine', 'machine', 'node']);
    for (const format of ['table', 'markdown'] as const) {
      const text = renderComparison(c, format);
      expect(text).toContain('different machines: cpu AMD EPYC (synthetic) → Intel Xeon; cpus 2 → 8; hostname synthetic-host → ci-7');
      expect(text).toContain('different Node versions: node v20.20.2 → v22.11.0');
      expect(text).toContain('different Keystone: keystone.kind stand-in → real');
      expect(text).toContain('different commits: commit 0000000 (synthetic) → abc1234');
    }
    expect(renderComparison(compareResults(old, old))).toContain('same machine, Node, Keystone, settings and commit');
  });

  it('renders Markdown and JSON', () => {
    const old = syntheticResults();
    const c = compareResults(old, scaled(old, 'full-client', 1.2), { oldLabel: 'a.json', newLabel: 'b.json' });
    const md = renderComparison(c, 'markdown');
    expect(md).toContain('| design | metric | old | new | change [95 % CI] | p (test) | verdict | note |');
    expect(md).toMatch(/\| full-client \| heapUsed \| .* \| \+20\.0 % \[.*\] \| <0\.001 \(Welch\) \| worse \|/);
    const json = JSON.parse(renderComparison(c, 'json'));
    expect(json.old.label).toBe('a.json');
    expect(json.rows.find((r: ComparisonRow) => r.design === 'full-client' && r.metric === 'heapUsed').verdict).toBe('worse');
  });
});

describe('npm run compare', () => {
  it('refuses bad flags and files with a UsageError (exit 2, one line)', () => {
    const bad: string[][] = [
      ['only-one.json'], ['a', 'b', '--threshold', '1x'], ['a', 'b', '--fail-on-regression', '-5'], ['a', 'b', '--frobnicate'],
      ['a', 'b', '--json', '--markdown'],
    ];
    for (const argv of bad) expect(() => parseCompareArgs(argv), argv.join(' ')).toThrow(UsageError);
    expect(parseCompareArgs(['a', 'b', '--threshold', '2.5', '--fail-on-regression', '5', '--json']))
      .toEqual({ help: false, oldPath: 'a', newPath: 'b', thresholdPct: 2.5, failOnRegressionPct: 5, format: 'json' });
    const notJson = join(tmp, 'not.json');
    writeFileSync(notJson, '{"schema": 1, "meta":');
    const notResults = join(tmp, 'shape.json');
    writeFileSync(notResults, JSON.stringify({ schema: 1, meta: {} }));
    for (const p of [join(tmp, 'absent.json'), notJson, notResults]) expect(() => readResults(p), p).toThrow(UsageError);
  });

  it('exits 1 on a planted regression with --fail-on-regression 5, 0 without, 2 on a bad input', () => {
    const old = syntheticResults();
    const a = write('old.json', old);
    const b = write('new.json', scaled(old, 'full-client', 1.2));
    const failing = runScript('bench/compare.ts', [a, b, '--fail-on-regression', '5']);
    expect(failing.status).toBe(1);
    expect(failing.stdout).toMatch(/full-client +heapUsed .*\+20\.0 % .*worse/);
    expect(failing.stderr).toContain('regression: full-client heapUsed +20.0 % (more than 5 % worse)');
    const passing = runScript('bench/compare.ts', [a, b, '--fail-on-regression', '25']);
    expect(passing.status).toBe(0);
    const missing = runScript('bench/compare.ts', [a, join(tmp, 'absent.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^error: cannot read results file .*absent\.json: no such file/);
  });
});
