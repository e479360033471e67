// The decision per runtime (src/model/decision.ts) on hand-made results whose arithmetic is checked by hand, its
// wording (src/report/decision-render.ts), and `npm run plan -- --runtime` through the real CLI.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decide, keystoneCores, lossOf, plansByRuntime, socketsPerEntry, type Choice } from '../src/model/decision.ts';
import { PRESETS, plan, type Deployment } from '../src/model/planner.ts';
import { decisionMarkdown, decisionTerminal } from '../src/report/decision-render.ts';
import { keystoneCpuOf, keystoneLoadBeside, readKeystoneCpu } from '../src/results/keystone-load.ts';
import { UsageError } from '../src/util/usage-error.ts';
import type { DesignResult, Slope } from '../src/results/schema.ts';
import { syntheticResults } from './fixtures/synthetic-results.ts';
import { runScript } from './helpers/run-cli.ts';

const slope = (bytes: number, resolved = true): Slope => ({
  bytes, ci95: resolved ? [bytes * 0.9, bytes * 1.1] : [-bytes, bytes * 2], r2: 0.99, trialSlopes: [bytes], intercept: 0,
  resolution: { resolved, atN: 1000 },
});
// a count that never moved: CI [0, 0], "not resolved" by the growth rule
const FLAT: Slope = { bytes: 0, ci95: [0, 0], r2: 0, trialSlopes: [0, 0, 0], intercept: 3, resolution: { resolved: false, atN: 1000 } };
const design = (id: string, runtime: 'node' | 'python', topology: 'per-worker' | 'shared', perObject: DesignResult['perObject'],
  extra: Partial<DesignResult> = {}): DesignResult => ({
  id, title: `design ${id}`, runtime, topology, status: 'ok', samples: [], failures: [], tokensIssued: 0, perObject, ...extra,
});

const DESIGNS: DesignResult[] = [
  design('py-big', 'python', 'per-worker', { rss: slope(1000), sockets: slope(1) }),
  design('py-record', 'python', 'per-worker', { rss: slope(500), sockets: FLAT }),
  design('py-shared', 'python', 'shared', { rss: slope(600), storeUsedMemory: slope(8000), sockets: FLAT }, { store: 'memcached' }),
  design('node-shared', 'node', 'shared', { rss: slope(100), storeUsedMemory: slope(500), sockets: FLAT }, { store: 'memcached' }),
  design('node-shared-2', 'node', 'shared', { rss: slope(200), storeUsedMemory: slope(500) }, { store: 'redis' }),
  design('node-unresolved', 'node', 'per-worker', { rss: slope(5, false), heapUsed: slope(40, false) }),
];
const results = { designs: DESIGNS };

// As in test/planner.test.ts: 50 trusts, half of them firing at each evaluation (random), every 1200 s
// (72 evaluations a day), 2 workers, 3600 s usable token periods (a token serves the 2 evaluations after its own).
// By hand:
//   no cache: 50 × 0.5 × 72 = 1800 tokens/day
//   shared: cycle = 1 + 2 covered + a geometric wait (p = 0.5, mean 2) − 1 = 4 evaluations → 50 × 72 / 4 = 900;
//     a live token 3 evaluations of 4 → 37.5 keys alive
//   per-worker: a worker sees the trust with p = 0.25 per evaluation (mean wait 4): cycle 6 → 50 × 2 × 72 / 6 = 1200
//   entries/worker (no eviction, a day) = 50 × (1 − 0.75^72) ≈ 50
const SMALL: Deployment = {
  ...PRESETS['trust-per-alarm'],
  scenario: 'trust-per-alarm', alarms: 100, trustShare: 0.5, firingFraction: 0.5, evaluationIntervalS: 1200,
  hosts: 1, workersPerHost: 2, budgetBytes: 40_000, tokenLifetimeS: 3720, refreshMarginS: 120, firingModel: 'random',
};
const ENTRIES = 50 * (1 - 0.75 ** 72);

describe('decision: one choice per runtime', () => {
  const d = decide(results, SMALL);

  it('python gets a python design even when a node design would win overall', () => {
    expect(plansByRuntime(results, SMALL).any.recommendation?.id).toBe('node-shared');
    const py = d.choices.python as Choice;
    expect(py.id).toBe('py-shared');
    expect(py.runtime).toBe('python');
    expect(py.tokensPerDay).toBeCloseTo(900, 6);
    expect(py.tokensSavedPerDay).toBeCloseTo(900, 6); // 1800 − 900
    expect(py.savedShare).toBeCloseTo(1 / 2, 9);
    expect(py.memoryPerWorker).toBeCloseTo(ENTRIES * 600, 3); // 30,000 B, within the 40,000 budget
    expect(py.storeBytes).toBeCloseTo(37.5 * 8000, 3); // 300,000 B once
    expect(py.store).toBe('memcached');
    expect(py.socketsPerEntry).toBe(0);
    expect(py.keystoneCores).toBeUndefined();
    expect((d.choices.node as Choice).id).toBe('node-shared');
  });

  it('says why each other design loses, against its own runtime\'s choice', () => {
    const loss = (id: string) => d.losers.find((l) => l.id === id)!;
    expect(loss('py-big').loss).toEqual({ kind: 'over-budget', memoryPerWorker: ENTRIES * 1000, budget: 40_000 }); // 50,000 B
    expect(loss('py-big').socketsPerWorker).toBeCloseTo(ENTRIES, 6);
    expect(loss('py-record').loss).toMatchObject({ kind: 'more-tokens', than: 'py-shared' }); // 1200 vs 900, 25,000 B fits
    expect(loss('node-shared-2').loss).toMatchObject({ kind: 'more-memory', than: 'node-shared' });
    expect(loss('node-unresolved').loss.kind).toBe('not-resolved');
    // a design loses once, in its own runtime, never against the other runtime's choice
    expect(d.losers.map((l) => l.id).sort()).toEqual(['node-shared-2', 'node-unresolved', 'py-big', 'py-record']);
    expect(d.losers.every((l) => l.runtime === DESIGNS.find((x) => x.id === l.id)!.runtime)).toBe(true);
  });

  it('a design the planner rules out for a reason other than memory keeps that reason', () => {
    const plans = plansByRuntime(results, SMALL);
    expect(plans.python.rows.find((x) => x.id === 'py-record')!.fits).toBe(true);
    // as the planner marks a design over the descriptor limit: fits false, memory within budget
    const row = plans.python.rows.find((x) => x.id === 'py-record')!;
    const marked = { ...row, fits: false, why: '50 sockets per worker, over the fd limit' };
    expect(marked.memoryPerWorker!).toBeLessThan(SMALL.budgetBytes);
    expect(lossOf(marked, undefined, SMALL.budgetBytes)).toEqual({ kind: 'does-not-fit', why: '50 sockets per worker, over the fd limit' });
    // the planner's own descriptor check: 50 entries × 1 descriptor = 50 over a limit of 40, 25,000 B within budget
    const fds = plan({ designs: [design('py-fds', 'python', 'per-worker', { rss: slope(500), fds: slope(1) })] }, { ...SMALL, fdLimit: 40 }).rows[0];
    expect(fds).toMatchObject({ fits: false, fdsFit: false });
    expect(fds.memoryPerWorker!).toBeLessThan(SMALL.budgetBytes);
    expect(lossOf(fds, undefined, SMALL.budgetBytes)).toEqual({ kind: 'does-not-fit', why: '50 open descriptors per worker, over the descriptor limit' });
  });

  it('a runtime without designs has no choice, and says so', () => {
    const nodeOnly = decide({ designs: DESIGNS.filter((x) => x.runtime === 'node') }, SMALL);
    expect(nodeOnly.choices.python).toEqual({ none: 'no python design in the results' });
    expect(decisionMarkdown(nodeOnly)).toContain('**Python (what Aodh can adopt): none** — no python design in the results.');
  });

  it('Keystone cores, when Keystone CPU per operation is given: tokens/s × ms per token + validations/s × ms per validation', () => {
    const k = { msPerToken: 100, msPerValidation: 20, source: 'test' };
    const withK = decide(results, SMALL, k);
    // (900 × 100 + 900 × 20) ms a day = 108 CPU-s a day; no cache (1800 × 100 + 1800 × 20) ms = 216 CPU-s
    expect((withK.choices.python as Choice).keystoneCores).toBeCloseTo(108 / 86_400, 12);
    expect(withK.noCacheKeystoneCores).toBeCloseTo(216 / 86_400, 12);
    expect(keystoneCores({ ...k, msPerValidation: null }, 864, 864)).toBeCloseTo(1e-3, 12);
    // 108 / 86,400 = 0.00125, 216 / 86,400 = 0.0025
    expect(decisionMarkdown(withK)).toMatch(/Keystone 0\.0013 cores on average against 0\.0025 without a cache/);
  });

  it('sockets per entry: a resolved count, a flat 0, or unknown', () => {
    expect(socketsPerEntry({ perObject: { sockets: slope(1) } })).toBe(1);
    expect(socketsPerEntry({ perObject: { sockets: FLAT } })).toBe(0);
    expect(socketsPerEntry({ perObject: { sockets: slope(0.5, false) } })).toBeNull();
    expect(socketsPerEntry({ perObject: {} })).toBeNull();
  });

  it('words it with the deciding figures, the same in Markdown and on the terminal', () => {
    const md = decisionMarkdown(d);
    // 50 × 600 B = 30,000 B = 29.3 KB; 37.5 keys × 8000 B = 300,000 B = 293.0 KB; 900 of 1800 saved
    expect(md).toContain('**Python (what Aodh can adopt): `py-shared`** — 600 B per entry (RSS), 29.3 KB per worker for 50 cached trusts');
    expect(md).toContain('plus a shared memcached holding 293.0 KB (38 keys × 7.8 KB, paid once); 900 tokens/day, 900 a day (50 %) fewer');
    expect(md).toContain('no socket per entry');
    expect(md).toContain('**Node: `node-shared`**');
    // 50 × 1000 B = 48.8 KB against 40,000 B = 39.1 KB; 1200 / 900 = 1.33× the tokens
    expect(md).toContain('`py-big`: 48.8 KB per worker, over the 39.1 KB budget, and 50 open sockets per worker');
    expect(md).toContain('`py-record`: 1.3× the tokens');
    expect(md).toContain('`node-shared-2`: the same tokens, more memory per worker');
    const term = decisionTerminal(d);
    expect(term).not.toMatch(/[`*]/);
    expect(term).toContain('Python (what Aodh can adopt): py-shared — 600 B per entry');
  });
});

describe('npm run plan -- --runtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kcb-decision-'));
  const file = join(dir, 'latest.json');
  writeFileSync(file, JSON.stringify(syntheticResults()));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const runtimeOf = new Map(syntheticResults().designs.map((x) => [x.id, x.runtime]));

  it('--json: the selected runtime\'s rows and recommendation, and recommendations keyed by runtime', () => {
    // 5,000 alarms: the fixture's python design (52 KB per entry) fits 512 MB per worker; at the default million,
    // one trust per alarm, no python design does
    const r = runScript('bench/plan.ts', ['--in', file, '--runtime', 'python', '--alarms', '5000', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.runtime).toBe('python');
    expect(j.rows.length).toBeGreaterThan(0);
    expect(j.rows.every((x: { id: string }) => runtimeOf.get(x.id) === 'python')).toBe(true);
    expect(Object.keys(j.recommendations).sort()).toEqual(['any', 'node', 'python']);
    expect(j.recommendation).toEqual(j.recommendations.python);
    expect(runtimeOf.get(j.recommendations.python.id)).toBe('python');
    expect(runtimeOf.get(j.recommendations.node.id)).toBe('node');
  });

  it('text: one recommendation per runtime with --runtime any; a bad runtime is one line and exit 2', () => {
    const r = runScript('bench/plan.ts', ['--in', file]);
    expect(r.status, r.stderr).toBe(0);
    for (const label of ['python, what Aodh can adopt', 'node', 'any runtime']) expect(r.stdout).toContain(`Recommendation (${label}): `);
    const bad = runScript('bench/plan.ts', ['--in', file, '--runtime', 'java']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['error: --runtime must be one of python, node, any (got "java")']);
    expect(bad.stdout).toBe('');
  });
});

describe('Keystone CPU from keystone-load results (optional)', () => {
  const load = (ops: unknown[], rounds?: number) => ({ meta: { keystone: rounds ? { passwordHashRounds: rounds } : {} }, operations: ops });
  const op = (id: string, mean: number | null) => ({ id, cpuMsPerOp: mean === null ? null : { mean, ci95: [mean * 0.9, mean * 1.1] }, capacityPerS: 10, curve: [] });

  it('takes CPU per trust token and per validation from the contract\'s operations', () => {
    const k = keystoneCpuOf(load([op('token-trust', 212.5), op('token-trust-nocatalog', 200), op('validate', 17.9)], 12), 'k.json')!;
    expect(k).toMatchObject({ msPerToken: 212.5, msPerValidation: 17.9 });
    expect(k.source).toBe('k.json: 213 ms of Keystone CPU per trust token, 17.9 ms per validation, password_hash_rounds 12');
    expect(keystoneCpuOf(load([op('token-trust', 30)]), 'k.json')!.msPerValidation).toBeNull();
  });

  it('gives nothing when CPU was not measurable (a remote Keystone), and refuses a file that is not one', () => {
    expect(keystoneCpuOf(load([op('token-trust', null), op('validate', null)]), 'k.json')).toBeNull();
    expect(() => keystoneCpuOf({ designs: [] }, 'x.json')).toThrow(UsageError);
  });

  it('is read from beside the results file, absent means none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcb-kload-'));
    try {
      const path = keystoneLoadBeside(join(dir, 'latest.json'));
      expect(path).toBe(join(dir, 'keystone-load', 'latest.json'));
      expect(readKeystoneCpu(path)).toBeNull();
      mkdirSync(join(dir, 'keystone-load'));
      writeFileSync(path, '{not json');
      expect(() => readKeystoneCpu(path)).toThrow(/cannot read keystone-load results/);
      writeFileSync(path, JSON.stringify(load([op('token-trust', 25), op('validate', 5)])));
      expect(readKeystoneCpu(path)!.msPerToken).toBe(25);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
