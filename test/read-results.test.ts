import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResults } from '../src/results/read.ts';
import { writeReport } from '../src/report/index.ts';
import { syntheticResultsMinimal } from './fixtures/synthetic-results.ts';

describe('reading results the bench wrote', () => {
  it('accepts NaN statistics (written as null by JSON) and renders the report from them', async () => {
    const r = syntheticResultsMinimal();
    // a metric that never varied: R² is undefined, as the bench computes it for a constant `external`
    const slope = r.designs[0].perObject.external!;
    slope.r2 = NaN;
    slope.ci95 = [NaN, NaN];
    // and, as the bench says of such a figure, not resolved (a file calling it resolved is refused)
    slope.resolution = { resolved: false, atN: slope.resolution?.atN ?? 0 };
    const dir = mkdtempSync(join(tmpdir(), 'kcb-read-'));
    try {
      const file = join(dir, 'latest.json');
      writeFileSync(file, JSON.stringify(r));
      const back = readResults(file);
      expect(back.designs[0].perObject.external!.r2).toBeNaN();
      const files = await writeReport(back, dir);
      expect(files.some((f) => f.endsWith('index.html'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reading a schema 1 file', () => {
  it('renames the Redis figures to the store-neutral ones and keeps everything else', () => {
    const v2 = syntheticResultsMinimal();
    // the same data as schema 1 wrote it: Redis-named figures, one meta.redis entry, no descriptor fields
    const v1 = structuredClone(v2) as unknown as Record<string, any>;
    v1.schema = 1;
    v1.meta.redis = v1.meta.stores.redis;
    delete v1.meta.stores;
    for (const d of v1.designs) {
      for (const k of ['runtime', 'topology', 'store', 'sizes', 'trials', 'headline', 'snapshot', 'rssBreakdown']) delete d[k];
      for (const s of d.samples) {
        if ('storeUsedMemory' in s) [s.redisUsedMemory, s.redisRss] = [s.storeUsedMemory, s.storeRss];
        delete s.storeUsedMemory;
        delete s.storeRss;
      }
      if (d.perObject.storeUsedMemory) [d.perObject.redisUsedMemory, d.perObject.redisRss] = [d.perObject.storeUsedMemory, d.perObject.storeRss];
      delete d.perObject.storeUsedMemory;
      delete d.perObject.storeRss;
    }
    const dir = mkdtempSync(join(tmpdir(), 'kcb-read-v1-'));
    const file = join(dir, 'v1.json');
    writeFileSync(file, JSON.stringify(v1));
    const back = readResults(file);
    expect(back.schema).toBe(2);
    expect(back.meta.stores).toEqual({ redis: { kind: 'private', version: '7.0.15' } });
    expect(back.meta).not.toHaveProperty('redis');
    const redis = back.designs.find((d) => d.id === 'redis-handle')!;
    const original = v2.designs.find((d) => d.id === 'redis-handle')!;
    expect(redis.store).toBe('redis');
    expect(redis.perObject.storeUsedMemory!.bytes).toBe(original.perObject.storeUsedMemory!.bytes);
    expect(redis.perObject.storeRss!.bytes).toBe(original.perObject.storeRss!.bytes);
    expect(redis.samples.map((s) => s.storeUsedMemory)).toEqual(original.samples.map((s) => s.storeUsedMemory));
    expect(redis.samples.every((s) => !('redisUsedMemory' in s) && !('redisRss' in s))).toBe(true);
    // designs without a store get none, and nothing a schema 1 file lacks is made up
    const full = back.designs.find((d) => d.id === 'full-client')!;
    expect(full.store).toBeUndefined();
    expect(full.topology).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a schema 1 file without Redis has no stores', () => {
    const v1 = structuredClone(syntheticResultsMinimal()) as unknown as Record<string, any>;
    v1.schema = 1;
    v1.meta.redis = { kind: 'private', version: 'not used' };
    delete v1.meta.stores;
    v1.designs = v1.designs.filter((d: { store?: string }) => !d.store);
    const dir = mkdtempSync(join(tmpdir(), 'kcb-read-v1-'));
    const file = join(dir, 'v1.json');
    writeFileSync(file, JSON.stringify(v1));
    expect(readResults(file).meta.stores).toEqual({});
    rmSync(dir, { recursive: true, force: true });
  });
});
