// Figures for the memcached-handle design, outside the main bench: for each N, a fresh private memcached, N
// entries built through the design (each a real trust authentication against the embedded stand-in), then the
// server's `bytes` (items), slab pages malloc'ed and RSS (pidusage) per key; and GET latency over the unix socket
// (raw GET, and the design's hit path: GET + MAC check + AES-CBC decrypt).
//   node --import tsx bench/memcached-figures.ts [N ...]      (default 10000 100000)
import pidusage from 'pidusage';
import { Bench } from 'tinybench';
import { Agent } from 'undici';
import { authenticate } from '../src/keystone/auth.ts';
import { startStandIn } from '../src/keystone/standin.ts';
import { connectMemcached, stats } from '../src/memcached/client.ts';
import { startMemcachedServer } from '../src/memcached/server.ts';
import type { DesignContext } from '../src/designs/contract.ts';
import design, { type MemcachedHandle } from '../src/designs/memcached-handle.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
if (!sizes.length) sizes.push(10_000, 100_000);

const ks = await startStandIn({ trusts: 0 });
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
const target = { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: 'Default' };
const settle = () => new Promise((r) => setTimeout(r, 300));
const results: unknown[] = [];

try {
  for (const n of sizes) {
    const mc = await startMemcachedServer();
    try {
      const where = { socketPath: mc.socketPath, keyPrefix: 'kcb:memcached-handle:' };
      const ctx: DesignContext = {
        keystoneUrl: ks.authUrl,
        keystone: target,
        async authenticate(trustId, opts) {
          const r = await authenticate(target, { trustId, nocatalog: !(opts?.catalog ?? true), dispatcher: agent, timeoutMs: 10_000, retries: 2 });
          return { tokenId: r.tokenId, expiresAt: r.expiresAt, body: JSON.stringify(r.body) };
        },
        timeoutMs: 3000,
        retries: 2,
        stores: { memcached: where },
        secret: 'figures-secret',
        now: Date.now,
      };
      const cache = await design.open(ctx);
      await settle();
      const [s0] = await stats(where);
      const rss0 = (await pidusage(mc.pid)).memory;
      const trusts = ks.createTrusts(n);
      const handles: MemcachedHandle[] = new Array(n);
      let next = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < n) {
          const i = next++;
          handles[i] = await cache.create(trusts[i]);
        }
      }));
      const buildS = (performance.now() - t0) / 1000;
      await settle();
      const [s1] = await stats(where);
      const rss1 = (await pidusage(mc.pid)).memory;
      const items = s1.curr_items - s0.curr_items;
      const raw = await connectMemcached(where);
      const valueBytes = (await raw.get(handles[0].key))!.length;

      // latency: sequential calls on random existing keys
      let k = 0;
      const pick = () => handles[(k = (k * 1103515245 + 12345) >>> 0) % n];
      const bench = new Bench({ time: 2000, warmup: true });
      bench.add('raw GET (memjs, unix socket)', async () => { await raw.get(pick().key); });
      bench.add('design token() hit: GET + MAC + AES-CBC', async () => { await cache.token(pick()); });
      await bench.run();
      const latency = bench.tasks.map((t) => {
        const r = t.result as unknown as { state?: string; latency?: { mean: number; p50?: number; p99?: number } };
        return { task: t.name, meanUs: (r.latency?.mean ?? NaN) * 1000, p50Us: (r.latency?.p50 ?? NaN) * 1000, p99Us: (r.latency?.p99 ?? NaN) * 1000 };
      });
      raw.close();
      await cache.close();
      const row = {
        n,
        items,
        evictions: s1.evictions,
        keyBytes: handles[0].key.length,
        valueBytes,
        memcachedBytesPerKey: (s1.bytes - s0.bytes) / items,
        slabPagesPerKey: (s1.total_malloced - s0.total_malloced) / items,
        rssPerKey: (rss1 - rss0) / items,
        rssBefore: rss0,
        rssAfter: rss1,
        buildS,
        version: mc.version,
        latency,
      };
      results.push(row);
      console.error(JSON.stringify(row));
    } finally {
      await mc.stop();
    }
  }
} finally {
  await agent.close();
  await ks.close();
}
console.log(JSON.stringify(results, null, 2));
