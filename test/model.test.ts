// The token model's arithmetic against the post's own figures and against properties any correct model must
// have (caching never mints more than no cache, more workers never mint fewer tokens, …), then the CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  POST_SCENARIO, describeScenario, expectedMintsPoisson, expectedTokens, mintsPerPeriod, modelScenario, poissonTail,
} from '../src/model/tokens.ts';
import { syntheticResultsMinimal } from './fixtures/synthetic-results.ts';
import { modelMain } from '../src/commands/model.ts';
import { runInProcess } from './helpers/in-process.ts';
import { scriptArgs, PROCESS_GUARD_MS } from './helpers/run-cli.ts';

const usablePeriods = (86_400 / (POST_SCENARIO.tokenLifetimeS - POST_SCENARIO.refreshMarginS));

describe('modelScenario: the post scenario', () => {
  it('no cache mints one token per notification: 14.4 M/day, worst case 1.44 B/day', () => {
    expect(modelScenario({ design: 'none' }).tokensPerDay).toBe(14_400_000);
    expect(modelScenario({ design: 'none', repeatActions: 'worst' }).tokensPerDay).toBe(1_440_000_000);
    expect(modelScenario({ design: 'none', firingFraction: 1 }).tokensPerDay).toBe(1_440_000_000);
  });

  it('per-worker lands near the post estimate of ~1 M/day (same order, not forced)', () => {
    const r = modelScenario({ design: 'per-worker' });
    expect(r.tokensPerDay).toBeGreaterThan(500_000);
    expect(r.tokensPerDay).toBeLessThan(2_000_000);
    // renewal: 4 × 10,000 × 86400 / (3480 + 3480/14.5)
    expect(r.tokensPerDay).toBeCloseTo((4 * 10_000 * 86_400) / (3480 + 240), 6);
    expect(r.tokensPerDayWindow).toBeCloseTo(4 * 10_000 * usablePeriods * -Math.expm1(-14.5), 6);
    expect(describeScenario(r).join('\n')).toContain('post');
  });

  it('shared cache is at most one token per trust per usable period, and no more than per-worker', () => {
    for (const overrides of [{}, { repeatActions: 'worst' as const }, { firingFraction: 0.0001 }, { workers: 1 }]) {
      const shared = modelScenario({ ...overrides, design: 'shared' });
      const perWorker = modelScenario({ ...overrides, design: 'per-worker' });
      const none = modelScenario({ ...overrides, design: 'none' });
      expect(shared.tokensPerDay).toBeLessThanOrEqual(POST_SCENARIO.trusts * usablePeriods + 1e-6);
      expect(shared.tokensPerDayWindow).toBeLessThanOrEqual(POST_SCENARIO.trusts * usablePeriods + 1e-6);
      expect(perWorker.tokensPerDay).toBeGreaterThanOrEqual(shared.tokensPerDay - 1e-6);
      expect(none.tokensPerDay).toBeGreaterThanOrEqual(perWorker.tokensPerDay);
      expect(perWorker.tokensPerDayWindow).toBeGreaterThanOrEqual(perWorker.tokensPerDayRenewal);
    }
  });

  it('per-worker tokens grow with the number of workers; shared does not depend on it', () => {
    let last = 0;
    for (const workers of [1, 2, 4, 8, 16, 64]) {
      const r = modelScenario({ design: 'per-worker', workers });
      expect(r.tokensPerDay).toBeGreaterThan(last);
      last = r.tokensPerDay;
      expect(modelScenario({ design: 'shared', workers }).tokensPerDay).toBe(modelScenario({ design: 'shared' }).tokensPerDay);
    }
    expect(modelScenario({ design: 'per-worker', workers: 1 }).tokensPerDay).toBe(modelScenario({ design: 'shared' }).tokensPerDay);
  });

  it('cache bytes per worker = trusts seen × bytes per object', () => {
    const r = modelScenario({ design: 'per-worker', bytesPerObject: 48_273 });
    expect(r.cacheEntriesPerWorker).toBeCloseTo(10_000, 6); // each worker sees ~360 notifications per trust a day
    expect(r.cacheBytesPerWorker).toBeCloseTo(r.cacheEntriesPerWorker * 48_273, 3);
    expect(modelScenario({ design: 'per-worker' }).cacheBytesPerWorker).toBeNull();
    // few notifications: a worker sees only part of the trusts
    const sparse = modelScenario({ design: 'per-worker', firingFraction: 1e-6, bytesPerObject: 100 });
    const perTrustPerDay = (1_000_000 * 1e-6 * 1440) / 10_000;
    expect(sparse.cacheEntriesPerWorker).toBeCloseTo(10_000 * -Math.expm1(-perTrustPerDay / 4), 6);
    expect(sparse.cacheBytesPerWorker).toBeCloseTo(sparse.cacheEntriesPerWorker * 100, 6);
  });

  it('shared store bytes = live keys × bytes per key', () => {
    const r = modelScenario({ design: 'shared', redisBytesPerKey: 400 });
    expect(r.sharedStoreKeys).toBeCloseTo(10_000 * (58 / 59), 6);
    expect(r.sharedStoreBytes).toBeCloseTo(r.sharedStoreKeys! * 400, 6);
    expect(modelScenario({ design: 'per-worker' }).sharedStoreBytes).toBeNull();
  });

  it('rejects values the arithmetic cannot mean', () => {
    expect(() => modelScenario({ firingFraction: 1.5 })).toThrow(RangeError);
    expect(() => modelScenario({ workers: 0 })).toThrow(RangeError);
    expect(() => modelScenario({ refreshMarginS: 3600 })).toThrow(RangeError);
    expect(() => modelScenario({ alarms: -1 })).toThrow(RangeError);
  });
});

describe('mint probabilities and finite runs', () => {
  it('window bound ≥ renewal, both → x for small x and → 1 for large x', () => {
    for (const x of [1e-6, 0.1, 1, 3, 14.5, 1000]) {
      expect(mintsPerPeriod(x, 'window')).toBeGreaterThanOrEqual(mintsPerPeriod(x, 'renewal'));
    }
    expect(mintsPerPeriod(1e-6, 'renewal') / 1e-6).toBeCloseTo(1, 5);
    expect(mintsPerPeriod(1e6, 'window')).toBeCloseTo(1, 9);
    expect(mintsPerPeriod(0, 'renewal')).toBe(0);
  });

  it('poissonTail matches direct sums and survives large means', () => {
    expect(poissonTail(2, 1)).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(poissonTail(2, 3)).toBeCloseTo(1 - Math.exp(-2) * (1 + 2 + 2), 12);
    expect(poissonTail(1000, 5)).toBe(1);
    expect(poissonTail(1, 50)).toBeLessThan(1e-60);
  });

  it('a long Poisson run approaches the steady-state renewal rate', () => {
    const periods = 2000;
    expect(expectedMintsPoisson(3, periods) / periods).toBeCloseTo(3 / 4, 2);
  });

  it('deterministic ticks give exact counts', () => {
    // one cache, a notification every 0.4 P, 10 of them: tokens at slots 0, 3, 6, 9 (a token covers 2.5 → 2 slots)
    expect(expectedTokens({ design: 'shared', trusts: 3, workers: 2, notificationsPerTrustPerPeriod: 2.5, periods: 4, stream: 'ticks' }).tokens).toBe(12);
    // round-robin over 2 workers: each gets 5 slots 0.8 P apart, a token covers 1 of its next slots → 3 each
    const rr = expectedTokens({ design: 'per-worker', trusts: 10, workers: 2, notificationsPerTrustPerPeriod: 2.5, periods: 4, stream: 'ticks', routing: 'round-robin' });
    expect(rr).toEqual({ notifications: 100, tokens: 60, entriesPerWorker: 10 });
    expect(expectedTokens({ design: 'none', trusts: 10, workers: 2, notificationsPerTrustPerPeriod: 2.5, periods: 4, stream: 'ticks' }).tokens).toBe(100);
  });

  it('finite-run expectations keep the same ordering as the daily model', () => {
    const base = { trusts: 50, workers: 4, notificationsPerTrustPerPeriod: 6, periods: 5 };
    for (const stream of ['poisson', 'ticks'] as const) {
      const none = expectedTokens({ ...base, stream, design: 'none' }).tokens;
      const pw = expectedTokens({ ...base, stream, design: 'per-worker' }).tokens;
      const sh = expectedTokens({ ...base, stream, design: 'shared' }).tokens;
      expect(none).toBeGreaterThan(pw);
      expect(pw).toBeGreaterThan(sh);
      expect(sh).toBeLessThanOrEqual(base.trusts * Math.ceil(base.periods));
    }
    expect(() => expectedTokens({ ...base, stream: 'ticks', design: 'shared', notificationsPerTrustPerPeriod: 2.3 })).toThrow(RangeError);
  });
});

describe('bench/model.ts CLI', () => {
  // one run exactly as `npm run model` starts it (a node process through tsx); the others in-process, through the same runMain
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [...scriptArgs('bench/model.ts', { tsx: true }), ...args], { encoding: 'utf8', timeout: PROCESS_GUARD_MS });
  const inProc = (...args: string[]) => runInProcess(modelMain, args);
  const dir = mkdtempSync(join(tmpdir(), 'kcb-model-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the table, the formulas and the post comparison', () => {
    // the post's scenario with independent draws at every evaluation. By hand, per worker: 100 alarms per trust at
    // 1 % → P(a worker gets ≥ 1 of them at an evaluation) = 1 − (1 − 0.01/4)^100 = 0.22144; a token serves the
    // next 57 evaluations, then a wait of 1/0.22144 = 4.516: 10,000 trusts × 4 workers × 1440 / 61.516 = 936,344
    const r = run('--scenario', 'post', '--firing-model', 'random');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^none\s+14,400,000/m);
    expect(r.stdout).toMatch(/^per-worker\s+936,344/m);
    expect(r.stdout).toMatch(/^shared\s+245,829/m);
    expect(r.stdout).toContain('1,440,000,000');
    expect(r.stdout).toContain('model: firing random; eviction none');
    expect(r.stdout).toMatch(/mean cycle 61\.52 evaluations/);
  });

  it('defaults to one trust per alarm and episodes, and names them; --chart draws the episode sweep', async () => {
    const chart = join(dir, 'episodes.svg');
    const r = await inProc('--alarms', '200000', '--firing', '0.05', '--workers', '24', '--chart', chart);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^scenario trust-per-alarm: 200,000 alarms/m);
    expect(r.stdout).toContain('model: firing episodes (episodes of 60 min mean); eviction none');
    // shared: a mean cycle of 753 evaluations per trust (57 covered, then the wait for the next episode)
    expect(r.stdout).toMatch(/^shared\s+382,452/m);
    const svg = readFileSync(chart, 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('mean episode duration');
  });

  it('--json and --in (alias --results)', async () => {
    // a results file as the bench writes it (the reader checks its shape), with one design of known cost
    const results = syntheticResultsMinimal();
    const full = results.designs.find((d) => d.id === 'full-client')!;
    full.perObject.rss = { ...full.perObject.rss!, bytes: 46_080 };
    full.perObject.heapUsed = { ...full.perObject.heapUsed!, bytes: 30_720 };
    results.designs = [full];
    const path = join(dir, 'results.json');
    writeFileSync(path, JSON.stringify(results));
    const r = await inProc('--json', '--design', 'per-worker', '--in', path, '--scenario', 'post', '--firing-model', 'random');
    expect((await inProc('--json', '--design', 'per-worker', '--results', path, '--scenario', 'post', '--firing-model', 'random')).stdout).toBe(r.stdout);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.designs).toHaveLength(1);
    expect(out.designs[0].tokensPerDay).toBeCloseTo(936_344.27, 1);
    expect(out.model).toEqual({ firingModel: 'random', episodeMinutes: null, eviction: 'none' });
    // the design's headline figure (RSS, resolved) × the entries one worker caches, as the report computes it
    expect(out.measured[0].perObject.metric).toBe('rss');
    expect(out.measured[0].perWorker).toBeCloseTo(46_080 * out.designs[0].cacheEntriesPerWorker, 3);
    expect(out.comparison.worstCaseNoCache.model).toBe(1_440_000_000);
  });

  it.each([
    [['--workers', 'abc']], [['--workers=-1']], [['--firing', '1.5']], [['--design', 'redis']],
    [['--bogus']], [['--results', '/nonexistent/results.json']], [['--margin', '4000']], [['stray']],
    [['--interval', '1e-300']], [['--scenario', 'post', '--trusts', '1e12', '--alarms', '10']], [['--episode-minutes', '0.5', '--eviction', 'lru:0']],
  ])('exit 2 with a one-line error for %j', async (args) => {
    const r = await inProc(...args);
    expect(r.status).toBe(2);
    const err = r.stderr.trimEnd();
    expect(err.split('\n')).toHaveLength(1);
    expect(err).toMatch(/^error: /);
    expect(err).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('refuses a corrupt results file', async () => {
    const path = join(dir, 'corrupt.json');
    writeFileSync(path, '{"schema": 1, "designs": ');
    const r = await inProc('--results', path);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: .*not valid JSON/);
  });
});
