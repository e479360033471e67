// The planner's Keystone arithmetic (src/model/keystone.ts and its hook in plan()): cores from tokens and
// validations, the evaluation tick, a notifier restart, utilization against given or measured capacity, and a
// design that overloads Keystone never recommended.
import { describe, expect, it } from 'vitest';
import { availableCores, distinctKeys, keystoneLoad, notifierPerWorker, type KeystoneCosts } from '../src/model/keystone.ts';
import { plan, PRESETS } from '../src/model/planner.ts';
import { replayScale, predictedPerS } from '../src/keystone-load/replay-plan.ts';
import { capacity, cpuPerOp, curveDone, percentile } from '../src/keystone-load/stats.ts';

const costs: KeystoneCosts = { cpuMsPerToken: 200, cpuMsPerValidation: 20, capacityPerS: 9, tokenLatencyMs: 250, passwordHashRounds: 12, source: 'test' };
const cap = { hosts: 1, tickWindowS: 10 };

describe('Keystone cores', () => {
  it('no cache in the post\'s scenario: 14.4 M tokens/day at 220 ms each is 36.7 cores on average', () => {
    const k = keystoneLoad({ tokensPerDay: 14_400_000, validationsPerDay: 14_400_000, design: 'none', notificationsPerTick: 10_000,
      evaluationIntervalS: 60, workers: 4, trusts: 10_000 }, costs, cap);
    expect(k.tokensPerS).toBeCloseTo(166.667, 3);
    expect(k.keystoneCores.average).toBeCloseTo(166.667 * 0.22, 3);
    // the tick: 10,000 tokens at 0.22 s each within 10 s
    expect(k.keystoneCores.peak).toBeCloseTo(10_000 * 0.22 / 10, 6);
    expect(k.keystoneCores.coldStart).toBeCloseTo(k.keystoneCores.peak, 9);
    // available: 9 tokens/s × 0.2 s = 1.8 cores of one host
    expect(availableCores(costs, cap)).toBeCloseTo(1.8, 9);
    expect(k.utilization).toBeCloseTo(36.667 / 1.8, 3);
    expect(k.overloaded).toBe(true);
    expect(k.tick.drainS).toBeCloseTo(10_000 * 0.22 / 1.8, 6);
  });

  it('a cache: the tick holds the renewals due, a restart re-mints every key the first tick reaches', () => {
    const perDay = 244_068;
    const shared = keystoneLoad({ tokensPerDay: perDay, validationsPerDay: perDay, design: 'shared', notificationsPerTick: 10_000,
      evaluationIntervalS: 60, workers: 4, trusts: 10_000 }, costs, { ...cap, cores: 4 });
    expect(shared.tick.tokens).toBeCloseTo(perDay / 86_400 * 60, 6);
    expect(shared.coldStart.tokensFirstTick).toBeCloseTo(10_000 * (1 - Math.exp(-1)), 6);
    const perWorker = keystoneLoad({ tokensPerDay: perDay, validationsPerDay: perDay, design: 'per-worker', notificationsPerTick: 10_000,
      evaluationIntervalS: 60, workers: 4, trusts: 10_000 }, costs, { ...cap, cores: 4 });
    expect(perWorker.coldStart.tokensFirstTick).toBeCloseTo(40_000 * (1 - Math.exp(-0.25)), 6);
    expect(perWorker.coldStart.tokensFirstTick).toBeGreaterThan(shared.coldStart.tokensFirstTick);
    expect(shared.utilization).toBeCloseTo(shared.keystoneCores.average / 4, 9);
    expect(shared.overloaded).toBe(false);
    expect(distinctKeys(0, 10)).toBe(0);
  });

  it('refuses figures it cannot mean', () => {
    const t = { tokensPerDay: 1, validationsPerDay: 1, design: 'none' as const, notificationsPerTick: 1, evaluationIntervalS: 60, workers: 1, trusts: 1 };
    expect(() => keystoneLoad(t, { ...costs, cpuMsPerToken: 0 }, cap)).toThrow(RangeError);
    expect(() => keystoneLoad(t, costs, { ...cap, cores: -1 })).toThrow(RangeError);
    expect(() => keystoneLoad(t, costs, { ...cap, tickWindowS: 0 })).toThrow(RangeError);
  });

  it('notifier throughput: own time plus the tokens\' share of Keystone\'s latency', () => {
    expect(notifierPerWorker(3.65, 1, 250)).toBeCloseTo(1000 / 253.65, 9);
    expect(notifierPerWorker(0.001, 0.017, 250)).toBeCloseTo(1000 / (0.001 + 4.25), 6);
  });
});

const designs = [
  { id: 'token-record', title: 't', status: 'ok', topology: 'per-worker', perObject: { heapUsed: { bytes: 400, ci95: [399, 401], r2: 1 } }, samples: [], failures: [], tokensIssued: 0 },
  { id: 'redis-handle', title: 'r', status: 'ok', topology: 'shared', perObject: { heapUsed: { bytes: 200, ci95: [199, 201], r2: 1 }, storeUsedMemory: { bytes: 500, ci95: [499, 501], r2: 1 } }, samples: [], failures: [], tokensIssued: 0 },
] as any;

describe('plan() with Keystone', () => {
  it('gives no cache and every row Keystone cores, and does not recommend a design that overloads Keystone', () => {
    const without = plan({ designs }, PRESETS.post);
    expect(without.rows.every((x) => x.keystoneCores === undefined)).toBe(true);
    expect(without.recommendation?.id).toBe('redis-handle');
    // plenty of Keystone: the same pick, with Keystone's headroom in the reason
    const roomy = plan({ designs }, PRESETS.post, { costs, capacity: { ...cap, cores: 100 } });
    expect(roomy.noCache.keystoneCores!.average).toBeCloseTo(166.667 * 0.22, 2);
    for (const x of roomy.rows) expect(x.keystoneCores!.average).toBeCloseTo(x.tokensPerDay / 86_400 * 0.22, 9);
    expect(roomy.recommendation?.id).toBe('redis-handle');
    expect(roomy.recommendation?.reason).toMatch(/Keystone at .* of its capacity/);
    // 0.7 cores: the shared design (2.8 tokens/s × 0.22 s = 0.62 cores) fits, the per-worker one (2.37 cores) does not
    const tight = plan({ designs }, PRESETS.post, { costs, capacity: { ...cap, cores: 0.7 } });
    expect(tight.rows.find((x) => x.id === 'token-record')!.keystone!.overloaded).toBe(true);
    expect(tight.rows.find((x) => x.id === 'redis-handle')!.keystone!.overloaded).toBe(false);
    expect(tight.recommendation?.reason).toMatch(/token-record would overload it/);
    const none = plan({ designs }, PRESETS.post, { costs, capacity: { ...cap, cores: 0.1 } });
    expect(none.recommendation).toBeNull();
    expect(none.noRecommendation).toMatch(/overloads Keystone/);
  });
});

describe('keystone-load statistics and the replay\'s scale', () => {
  it('percentiles, CPU per operation with its idle share taken off, and where a curve stops', () => {
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4, 100], 0.99)).toBe(100);
    const c = cpuPerOp([{ ops: 10, cpuMs: 1010, wallMs: 1000 }, { ops: 10, cpuMs: 1030, wallMs: 1000 }, { ops: 10, cpuMs: 1020, wallMs: 1000 }], 10);
    expect(c!.mean).toBeCloseTo(101, 9);
    expect(c!.resolved).toBe(true);
    expect(cpuPerOp([{ ops: 10, cpuMs: 10, wallMs: 1 }], 0)).toBeNull();
    const pts = [{ concurrency: 1, perS: 5, errors: 0 }, { concurrency: 2, perS: 9, errors: 0 }, { concurrency: 4, perS: 9.2, errors: 0 }];
    expect(curveDone(pts)).toBe(false);
    expect(curveDone([...pts, { concurrency: 8, perS: 9.1, errors: 0 }])).toBe(true);
    expect(curveDone([{ concurrency: 1, perS: 5, errors: 1 }])).toBe(true);
    expect(capacity([...pts, { concurrency: 8, perS: 20, errors: 3 }])).toEqual({ perS: 9.2, concurrency: 4 });
  });

  it('scales the post so that no cache asks at least twice the capacity, keeping notifications per token lifetime', () => {
    for (const capPerS of [8, 40]) {
      const s = replayScale(capPerS, 75);
      expect(s.settings.noCacheDemandPerS).toBeGreaterThanOrEqual(2 * capPerS);
      expect(s.spec.notificationsPerTrustPerPeriod).toBeCloseTo(58, 9);
      expect(s.settings.intervalS * s.settings.compression).toBeCloseTo(60, 9);
      expect(predictedPerS(s.settings, 'none')).toBeCloseTo(s.settings.noCacheDemandPerS, 6);
      // a shared cache mints about one token per trust per usable period
      const P = s.periodMs / 1000;
      expect(predictedPerS(s.settings, 'shared')).toBeCloseTo((s.settings.trusts / P) * (58 / 59) * (2 / 3), 6);
    }
  });
});

describe('npm run plan --keystone', () => {
  it('--json carries noCache.keystoneCores and rows[].keystoneCores from a keystone-load file', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { runScript } = await import('./helpers/run-cli.ts');
    const dir = mkdtempSync(join(tmpdir(), 'kcb-plan-ks-'));
    try {
      const op = (id: string, cpu: number) => ({ id, text: id, cpuMsPerOp: { mean: cpu, ci95: [cpu * 0.95, cpu * 1.05], batches: 8, opsPerBatch: 6, idleMsPerS: 0, resolved: true, perBatch: [] },
        capacityPerS: 9, saturationConcurrency: 4, curve: [{ concurrency: 1, perS: 4, p50Ms: 250, p99Ms: 300, errors: 0, ops: 24, cpuMsPerOp: cpu, otherCores: 0, loadAvg1: 0 }] });
      const file = join(dir, 'ks.json');
      writeFileSync(file, JSON.stringify({
        meta: { schema: 'kcb-keystone-load/1', keystone: { kind: 'real', passwordHashRounds: 12 } },
        operations: [op('token-trust', 200), op('validate', 20)], replay: [],
      }));
      const r = runScript('bench/plan.ts', ['--scenario', 'post', '--keystone', file, '--json']);
      expect(r.status).toBe(0);
      const p = JSON.parse(r.stdout);
      expect(p.noCache.keystoneCores.average).toBeCloseTo(166.667 * 0.22, 2);
      expect(Object.keys(p.noCache.keystoneCores).sort()).toEqual(['average', 'coldStart', 'peak']);
      for (const row of p.rows) expect(Object.keys(row.keystoneCores).sort()).toEqual(['average', 'coldStart', 'peak']);
      const text = runScript('bench/plan.ts', ['--scenario', 'post', '--keystone', file]).stdout;
      expect(text).toMatch(/Keystone \(.*ks\.json\): 200\.0 ms CPU per token, 20\.0 ms per validation, bcrypt cost 12/);
      expect(text).toMatch(/^no cache .*OVERLOADED$/m);
      // the stand-in's figures are not Keystone's: refused when asked for
      writeFileSync(file, JSON.stringify({ meta: { schema: 'kcb-keystone-load/1', keystone: { kind: 'stand-in' } }, operations: [], replay: [] }));
      const bad = runScript('bench/plan.ts', ['--keystone', file]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^error: --keystone .*measured the stand-in, not Keystone/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
