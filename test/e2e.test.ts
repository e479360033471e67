import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Results } from '../src/results/schema.ts';
import { runScript } from './helpers/run-cli.ts';

const DESIGNS = ['full-client', 'token-record', 'redis-handle'];
let out: string;
let run: ReturnType<typeof runScript>;
let results: Results;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'kcb-e2e-'));
  run = runScript('bench/cli.ts', ['--maxsize', '200', '--trials', '2', '--designs', DESIGNS.join(','), '--out', out, '--no-report', '--concurrency', '4']);
  if (run.status === 0) results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
}, 300_000);

describe('bench end to end (--maxsize 200 --trials 2)', () => {
  it('exits 0 and writes JSON, CSV and the Markdown summary', () => {
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
    for (const f of ['latest.json', 'samples.csv', 'summary.md']) expect(existsSync(join(out, f))).toBe(true);
    expect(run.stdout).toMatch(/\| `full-client` \|/);
    expect(run.stdout).toMatch(/47\.\d KB/);
  });

  it('writes the documented shape', () => {
    expect(results.schema).toBe(1);
    for (const k of ['node', 'v8', 'platform', 'cpu', 'cpus', 'totalMemBytes', 'commit', 'command', 'startedAt', 'durationMs']) {
      expect(results.meta).toHaveProperty(k);
    }
    expect(results.meta.command).toContain('--maxsize 200');
    expect(results.meta.keystone.kind).toBe('stand-in');
    expect(results.designs.map((d) => d.id)).toEqual(DESIGNS);
    for (const d of results.designs) {
      expect(d.status).toBe('ok');
      expect(d.samples).toHaveLength(10); // 5 sizes × 2 trials
      for (const s of d.samples) {
        for (const k of ['n', 'trial', 'rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers', 'pidusageRss']) expect(typeof (s as any)[k]).toBe('number');
      }
      for (const m of ['heapUsed', 'rss', 'external'] as const) {
        const slope = d.perObject[m]!;
        expect(Number.isFinite(slope.bytes)).toBe(true);
        expect(slope.ci95).toHaveLength(2);
        expect(slope.trialSlopes).toHaveLength(2);
        expect(typeof slope.r2).toBe('number');
      }
    }
  });

  it('counts every token the stand-in issued: n per sample plus the warm-up', () => {
    for (const d of results.designs) {
      const expected = d.samples.reduce((a, s) => a + s.n + 4, 0); // --concurrency 4 warm-up creates
      expect(d.tokensIssued).toBe(expected);
    }
  });

  it('orders the designs as expected: full client ≫ token record, Redis handle smallest in process', () => {
    const heap = (id: string) => results.designs.find((d) => d.id === id)!.perObject.heapUsed!.bytes;
    expect(heap('full-client')).toBeGreaterThan(10 * 1024);
    expect(heap('full-client')).toBeGreaterThan(8 * heap('token-record'));
    expect(heap('full-client')).toBeGreaterThan(8 * heap('redis-handle'));
    const redis = results.designs.find((d) => d.id === 'redis-handle')!;
    expect(redis.perObject.redisUsedMemory!.bytes).toBeGreaterThan(100);
    expect(redis.perObject.redisUsedMemory!.bytes).toBeLessThan(2048);
    expect(redis.samples.every((s) => (s.redisRss ?? 0) > 0)).toBe(true);
  });

  it('times the token paths with tinybench', () => {
    const names = results.latency!.map((l) => l.name);
    expect(names.some((n) => n.startsWith('no cache'))).toBe(true);
    expect(names).toContain('token-record: cached hit (lookup → token)');
    expect(names).toContain('redis-handle: cached hit (lookup → token)');
    for (const l of results.latency!) expect(l.p99Ms).toBeGreaterThanOrEqual(l.p50Ms);
  });
});
