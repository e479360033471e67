// Python designs' latency (src/latency/python.ts, src/worker/python/latency.py) against the stand-in: a hit and a
// first miss per design, every design in one python process, and every timed miss a real authentication — a shared design's create() would find a
// trust it has seen in its store, so the misses get trusts of their own. Counted by the stand-in's tokens.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDesigns } from '../src/design-registry/registry.ts';
import type { DesignDescriptor } from '../src/designs/descriptor.ts';
import { startStandInEnv } from '../src/keystone/env.ts';
import type { KeystoneEnv } from '../src/keystone/env.ts';
import { pythonDesignsLatency, type PythonLatencyJob } from '../src/latency/python.ts';
import { storeDriver } from '../src/stores/index.ts';
import type { PrivateStore } from '../src/stores/store.ts';

let keystone: KeystoneEnv;
let memcached: PrivateStore;
let designs: DesignDescriptor[];

beforeAll(async () => {
  keystone = await startStandInEnv({ services: 13, trusts: 0 });
  memcached = await storeDriver('memcached').startPrivate('kcb:lat-test:');
  designs = (await loadDesigns([], undefined, ['python-token-record', 'python-auth-state'])).designs;
});
afterAll(async () => {
  await memcached?.stop();
  await keystone?.close();
});

describe('python design latency', () => {
  it('every design in one process: a hit and a first miss each, each miss one token; a design that fails costs only its own rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcb-pylat-'));
    const broken = join(dir, 'broken.py');
    writeFileSync(broken, "ID = 'broken'\nTITLE = 't'\nTOPOLOGY = 'per-worker'\n\ndef create(trust_id, ctx):\n    raise RuntimeError('no entry today')\n\ndef token(entry, ctx):\n    return 't'\n");
    try {
      const all = await keystone.trustIds(180);
      const [record, state] = ['python-token-record', 'python-auth-state'].map((id) => designs.find((x) => x.id === id)!);
      const jobs: PythonLatencyJob[] = [
        { design: record, trustIds: all.slice(0, 30), missTrustIds: all.slice(30, 60), stores: {} },
        { design: { ...record, id: 'broken', module: broken, builtin: false }, trustIds: all.slice(60, 90), missTrustIds: all.slice(90, 120), stores: {} },
        { design: state, trustIds: all.slice(120, 150), missTrustIds: all.slice(150, 180), stores: { memcached: memcached.location } },
      ];
      const before = keystone.tokensIssued()!;
      const out = await pythonDesignsLatency(jobs, { keystone: keystone.target, timeoutMs: 5000, retries: 2, timeMs: 1500 });
      const minted = keystone.tokensIssued()! - before;
      expect(out.map((o) => o.design)).toEqual(['python-token-record', 'broken', 'python-auth-state']);
      expect(out[1]).toEqual({ design: 'broken', error: 'RuntimeError: no entry today' });
      for (const i of [0, 2]) {
        const { design, trustIds, missTrustIds } = jobs[i];
        const o = out[i];
        if (!('rows' in o)) throw new Error(`${design.id}: ${o.error}`);
        expect(o.rows.map((r) => r.name)).toEqual([`${design.id}: cached hit (lookup → token)`, `${design.id}: first miss (authenticate + store)`]);
        const [hit, miss] = o.rows;
        expect(o.rows.every((r) => r.design === design.id && r.samples >= 2 && r.p50Ms <= r.p99Ms && r.meanMs > 0)).toBe(true);
        // every miss trust once, after one untimed miss that warms the path up
        expect(miss.samples).toBe(missTrustIds.length - 1);
        expect(hit.p50Ms).toBeLessThan(miss.p50Ms);
        expect(trustIds).toHaveLength(30);
      }
      // the cache's entries (one token per trust), no token for a hit, one per miss; none for the broken design
      expect(minted).toBe(2 * (30 + 30));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
