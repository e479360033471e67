// Python designs' latency (src/latency/python.ts, src/worker/python/latency.py) against the stand-in: a hit and a
// first miss per design, and every timed miss a real authentication — a shared design's create() would find a
// trust it has seen in its store, so the misses get trusts of their own. Counted by the stand-in's tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDesigns } from '../src/design-registry/registry.ts';
import type { DesignDescriptor } from '../src/designs/descriptor.ts';
import { startStandInEnv } from '../src/keystone/env.ts';
import type { KeystoneEnv } from '../src/keystone/env.ts';
import { pythonDesignLatency } from '../src/latency/python.ts';
import { storeDriver } from '../src/stores/index.ts';
import type { PrivateStore } from '../src/stores/store.ts';

let keystone: KeystoneEnv;
let memcached: PrivateStore;
let designs: DesignDescriptor[];

beforeAll(async () => {
  keystone = await startStandInEnv({ services: 13, trusts: 0 });
  memcached = await storeDriver('memcached').startPrivate('kcb:lat-test:');
  designs = (await loadDesigns([], undefined, ['python-token-record', 'python-auth-state'])).designs;
}, 60_000);
afterAll(async () => {
  await memcached?.stop();
  await keystone?.close();
});

describe('python design latency', () => {
  for (const id of ['python-token-record', 'python-auth-state']) {
    it(`${id}: a hit and a first miss, each miss one token`, async () => {
      const d = designs.find((x) => x.id === id)!;
      const all = await keystone.trustIds(id === 'python-token-record' ? 60 : 120);
      const [hitIds, missIds] = id === 'python-token-record' ? [all.slice(0, 30), all.slice(30, 60)] : [all.slice(60, 90), all.slice(90, 120)];
      const before = keystone.tokensIssued()!;
      const rows = await pythonDesignLatency(d, hitIds, missIds, {
        keystone: keystone.target, stores: d.needs.includes('memcached') ? { memcached: memcached.location } : {},
        timeoutMs: 5000, retries: 2, timeMs: 1500,
      });
      const minted = keystone.tokensIssued()! - before;
      expect(rows.map((r) => r.name)).toEqual([`${id}: cached hit (lookup → token)`, `${id}: first miss (authenticate + store)`]);
      const [hit, miss] = rows;
      expect(rows.every((r) => r.design === id && r.samples >= 2 && r.p50Ms <= r.p99Ms && r.meanMs > 0)).toBe(true);
      // every miss trust once, after one untimed miss that warms the path up
      expect(miss.samples).toBe(missIds.length - 1);
      // the cache's entries (one token per trust), no token for a hit, one per miss
      expect(minted).toBe(hitIds.length + missIds.length);
      expect(hit.p50Ms).toBeLessThan(miss.p50Ms);
    }, 120_000);
  }
});
