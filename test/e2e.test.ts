import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../src/results/read.ts';
import type { Results } from '../src/results/schema.ts';
import { formatSlope } from '../src/report/format.ts';
import { syntheticResults } from './fixtures/synthetic-results.ts';
import { runScript } from './helpers/run-cli.ts';

const DESIGNS = ['full-client', 'token-record', 'redis-handle'];
const MAXSIZE = 200;
const CONCURRENCY = 4;
const SNAPSHOT_N = 100;
const WARMUP = 40;
let out: string;
let baseline: string;
let run: ReturnType<typeof runScript>;
let results: Results;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'kcb-e2e-'));
  // an earlier results file to compare with at the end (--baseline), outside the output dir
  baseline = join(mkdtempSync(join(tmpdir(), 'kcb-e2e-baseline-')), 'earlier.json');
  writeFileSync(baseline, JSON.stringify(syntheticResults()));
  run = runScript('bench/cli.ts', ['--baseline', baseline, '--maxsize', String(MAXSIZE), '--steps', '5', '--trials', '2', '--min-trials', '2', '--snapshot-n', String(SNAPSHOT_N), '--warmup', String(WARMUP),
    '--designs', DESIGNS.join(','), '--out', out, '--no-report', '--concurrency', String(CONCURRENCY), '--latency-ms', '50']);
  // through the reader the report uses: the file must be one it accepts (a constant metric's R² is NaN, null in JSON)
  if (run.status === 0) results = readResults(join(out, 'latest.json'));
});
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(join(baseline, '..'), { recursive: true, force: true });
});

const design = (id: string) => results.designs.find((d) => d.id === id)!;

describe('bench end to end (--maxsize 200 --steps 5 --trials 2)', () => {
  it('exits 0 and writes JSON, CSV and the Markdown summary', () => {
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
    for (const f of ['latest.json', 'samples.csv', 'summary.md']) expect(existsSync(join(out, f))).toBe(true);
  });

  it('prints the summary with the figures it measured, as the JSON has them', () => {
    // each metric's cell by its column's head, in whichever printed table has that column: a column that is
    // empty or repeats another moves from the summary to the appendix (on a busy machine RSS can be unresolved)
    const lines = run.stdout.split('\n');
    const cellsOf = (l: string) => l.slice(2, -2).split(' | ');
    const heads = lines.map((l, i) => ({ i, cells: l.startsWith('| Design |') ? cellsOf(l) : [] })).filter((h) => h.cells.length);
    const cell = (id: string, head: string) => {
      const table = heads.find((h) => h.cells.includes(head));
      expect(table, head).toBeDefined();
      const row = lines.slice(table!.i).find((l) => l.startsWith(`| \`${id}\` |`));
      expect(row, `${id} ${head}`).toBeDefined();
      return cellsOf(row!)[table!.cells.indexOf(head)];
    };
    for (const d of results.designs) {
      const why = `${d.id}; the printed tables:\n${lines.filter((l) => l.startsWith('|')).join('\n')}`;
      expect(cell(d.id, 'Status'), why).toBe('ok');
      expect(cell(d.id, 'heapUsed per object'), why).toBe(formatSlope(d.perObject.heapUsed, 'heapUsed'));
      expect(cell(d.id, 'RSS per object'), why).toBe(formatSlope(d.perObject.rss, 'rss'));
      expect(cell(d.id, 'Redis used_memory per key'), why).toBe(formatSlope(d.perObject.storeUsedMemory, 'storeUsedMemory'));
    }
    // the terminal ends with the decision: no python design ran, the node one is named with its figures
    const tail = run.stdout.slice(run.stdout.lastIndexOf('\nDecision\n'));
    expect(tail, tail).toMatch(/- Python \(what Aodh can adopt\): none — no python design in the results\./);
    expect(tail, tail).toMatch(/- Node: (full-client|token-record|redis-handle) — [\d.]+ (B|KB) per entry/);
    // the full client's heap figure is tens of KB per object: the printed value is a measurement, not the reference
    expect(formatSlope(design('full-client').perObject.heapUsed, 'heapUsed'), JSON.stringify(design('full-client').perObject.heapUsed)).toMatch(/^\d+\.\d KB \[/);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(formatSlope(design('full-client').perObject.heapUsed, 'heapUsed'));
  });

  it('writes the documented shape (schema 2)', () => {
    expect(results.schema).toBe(2);
    for (const k of ['node', 'v8', 'platform', 'cpu', 'cpus', 'totalMemBytes', 'commit', 'command', 'startedAt', 'durationMs', 'protocol', 'workerFlags']) {
      expect(results.meta).toHaveProperty(k);
    }
    expect(results.meta.command).toContain(`--maxsize ${MAXSIZE}`);
    expect(results.meta.keystone.kind).toBe('stand-in');
    expect(results.meta.protocol).toBe('incremental');
    expect(results.meta.sizes).toEqual([0, 50, 100, 150, 200]);
    expect(results.meta.stores).toEqual({ redis: { kind: 'private', version: expect.any(String) } });
    expect(results.designs.map((d) => d.id)).toEqual(DESIGNS);
    for (const d of results.designs) {
      expect(d.status).toBe('ok');
      expect(d.runtime).toBe('node');
      expect(d.sizes).toEqual([0, 50, 100, 150, 200]);
      expect(d.trials).toBe(2);
      expect(d.samples).toHaveLength(10); // 5 sizes × 2 trials
      for (const s of d.samples) {
        for (const k of ['n', 'trial', 'rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers', 'pidusageRss', 'fds', 'sockets']) {
          expect(typeof (s as any)[k], `${d.id} ${k}`).toBe('number');
        }
        expect(s.sockets!).toBeLessThanOrEqual(s.fds!);
      }
      for (const m of ['heapUsed', 'rss', 'external'] as const) {
        const slope = d.perObject[m]!;
        expect(Number.isFinite(slope.bytes)).toBe(true);
        expect(slope.ci95).toHaveLength(2);
        expect(slope.trialSlopes).toHaveLength(2);
        expect(typeof slope.r2).toBe('number');
        expect(slope.resolution).toMatchObject({ atN: MAXSIZE, resolved: expect.any(Boolean) });
      }
      // the headline, when there is one, is a resolved measured figure (null: nothing resolved with 2 trials at N = 200)
      if (d.headline) {
        const s = d.perObject[d.headline.metric]!;
        expect(s.resolution!.resolved).toBe(true);
        expect(d.headline.bytes).toBeGreaterThanOrEqual(s.bytes);
      }
    }
    // tens of KB per full client resolve even at this size
    expect(design('full-client').headline).not.toBeNull();
    expect(design('full-client').topology).toBe('per-worker');
    expect(design('redis-handle')).toMatchObject({ topology: 'shared', store: 'redis' });
  });

  it('counts every token the stand-in issued: N per trial plus the warm-up, and the snapshot run', () => {
    // one worker per trial grows to --maxsize after --warmup creations; the heap-snapshot run builds SNAPSHOT_N entries
    for (const d of results.designs) {
      expect(d.tokensIssued, d.id).toBe(2 * (MAXSIZE + WARMUP) + SNAPSHOT_N + WARMUP);
      // the worker's own count agrees: every reading's client-side tally grows by the entries built
      for (const trial of [1, 2]) {
        const tokens = d.samples.filter((s) => s.trial === trial && s.n > 0).map((s) => s.tokens! - s.n);
        expect(new Set(tokens).size, `${d.id} trial ${trial}`).toBe(1);
      }
    }
  });

  it('orders the designs as expected: full client ≫ token record, Redis handle smallest in process', () => {
    const heap = (id: string) => design(id).perObject.heapUsed!.bytes;
    expect(heap('full-client')).toBeGreaterThan(10 * 1024);
    expect(heap('full-client')).toBeGreaterThan(8 * heap('token-record'));
    expect(heap('full-client')).toBeGreaterThan(8 * heap('redis-handle'));
    const redis = design('redis-handle');
    expect(redis.perObject.storeUsedMemory!.bytes).toBeGreaterThan(100);
    expect(redis.perObject.storeUsedMemory!.bytes).toBeLessThan(2048);
    expect(redis.samples.every((s) => (s.storeRss ?? 0) > 0)).toBe(true);
    // the store grows as much in the first step as in the others: the warm-up (the build's own first 40 trusts)
    // left no records behind for the build to overwrite, which would hold the store flat until N passed 40
    for (const trial of [1, 2]) {
      const used = redis.samples.filter((s) => s.trial === trial).map((s) => s.storeUsedMemory!);
      const step = (used.at(-1)! - used[0]) / (used.length - 1);
      for (let i = 1; i < used.length; i++) expect(used[i] - used[i - 1], `trial ${trial} step ${i}`).toBeGreaterThan(0.5 * step);
    }
    for (const id of ['full-client', 'token-record']) expect(design(id).samples.every((s) => s.storeUsedMemory === undefined)).toBe(true);
    // file descriptors are read for every design; a token record holds none of its own (one keep-alive pool per process)
    for (const d of results.designs) expect(d.perObject.fds, d.id).toBeDefined();
    expect(Math.abs(design('token-record').perObject.fds!.bytes)).toBeLessThan(0.05);
  });

  it('cross-checks the heapUsed slope with a heap snapshot of the held entries', () => {
    for (const d of results.designs) {
      expect(d.snapshot, d.id).toBeDefined();
      expect(d.snapshot!.n).toBe(SNAPSHOT_N);
      expect(d.snapshot!.retainedPerEntry).toBeGreaterThan(0);
      expect(d.snapshot!.breakdown.length).toBeGreaterThan(0);
      // compared only with a resolved heap slope (at N = 200 a small entry's heap can stay within one 256 KB page)
      const heap = d.perObject.heapUsed!;
      if (heap.resolution!.resolved) expect(d.snapshot!.relativeDifference).toBeCloseTo((heap.bytes - d.snapshot!.retainedPerEntry) / d.snapshot!.retainedPerEntry, 9);
      else expect(d.snapshot!.relativeDifference).toBeUndefined();
    }
    expect(design('full-client').snapshot!.retainedPerEntry).toBeGreaterThan(8 * design('token-record').snapshot!.retainedPerEntry);
    // a full client's slope is resolved at any N, and agrees with its snapshot
    expect(Math.abs(design('full-client').snapshot!.relativeDifference!)).toBeLessThan(0.05);
  });

  it('compares with --baseline at the end: the designs of both runs, by metric, with a verdict', () => {
    expect(run.stderr).toContain(`compared with ${baseline}:`);
    const table = run.stderr.slice(run.stderr.indexOf(`compared with ${baseline}:`));
    for (const id of DESIGNS) expect(table).toMatch(new RegExp(`^${id} +heapUsed .*(worse|better|no significant change)`, 'm'));
    // designs only the earlier file has are listed as such
    expect(table).toMatch(/^python-keystoneclient +.*only in old/m);
    // the comparison is a report, not a gate: the run still exits 0 and the baseline is not touched
    expect(run.status).toBe(0);
    expect(readResults(baseline).meta.hostname).toBe('synthetic-host');
  });

  it('times the token paths with tinybench', () => {
    const names = results.latency!.map((l) => l.name);
    expect(names.some((n) => n.startsWith('no cache'))).toBe(true);
    expect(names).toContain('token-record: cached hit (lookup → token)');
    expect(names).toContain('redis-handle: cached hit (lookup → token)');
    for (const l of results.latency!) expect(l.p99Ms).toBeGreaterThanOrEqual(l.p50Ms);
  });
});
