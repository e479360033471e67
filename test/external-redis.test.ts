// --redis-url: an existing Redis the user owns. The harness writes under a run-unique key prefix, deletes exactly
// its own keys afterwards (never FLUSHDB), measures used_memory as the growth during each sample, and refuses a
// Redis that does not answer before starting anything. The "existing" Redis here is one this test starts on a
// unix socket, reached with a unix:// URL.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type Redis } from '../src/stores/redis/client.ts';
import { startRedisServer, type RedisServer } from '../src/stores/redis/server.ts';
import type { Results } from '../src/results/schema.ts';
import { runScript } from './helpers/run-cli.ts';
import { startScript, survivors, watchChildren, type Finished } from './helpers/procs.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kcb-extredis-'));
let server: RedisServer;
let db0: Redis;
let db3: Redis;
const USER_KEYS = { 'user:session': 'keep me', 'kcb:redis-handle:0000': 'looks like ours, is not' };

beforeAll(async () => {
  server = await startRedisServer();
  db0 = await connectRedis({ socketPath: server.socketPath });
  db3 = await connectRedis({ url: `unix://${server.socketPath}?db=3` });
  for (const c of [db0, db3]) for (const [k, v] of Object.entries(USER_KEYS)) await c.set(k, v);
});
afterAll(async () => {
  db0?.destroy();
  db3?.destroy();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('bench --redis-url unix:///…/redis.sock?db=3', () => {
  let res: Finished;
  let results: Results;
  let pids: number[];
  let peakKeys = 0;

  beforeAll(async () => {
    const out = join(tmp, 'out');
    const run = startScript('bench/cli.ts', ['--designs', 'redis-handle,redis-handle-encrypted', '--maxsize', '20', '--trials', '1',
      '--snapshot-n', '0', '--concurrency', '4', '--latency-ms', '50', '--no-report', '--redis-url', `unix://${server.socketPath}?db=3`, '--out', out]);
    const watch = watchChildren(run.pid);
    // While it runs, the run's own keys appear in db 3 (next to the user's).
    const counter = setInterval(() => {
      db3.dbSize().then((n) => (peakKeys = Math.max(peakKeys, n)), () => {});
    }, 50);
    res = await run.done;
    clearInterval(counter);
    watch.stop();
    pids = [...watch.seen.keys()];
    if (res.status === 0) results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
  });

  it('measures against the existing Redis and records it as external', () => {
    expect(res.stderr).not.toMatch(/error|failed/i);
    expect(res.status).toBe(0);
    expect(results.meta.stores.redis!.kind).toBe('external');
    expect(results.meta.stores.redis!.version).toMatch(/^\d+\.\d+/);
    expect(Object.keys(results.meta.stores)).toEqual(['redis']);
    expect(peakKeys).toBeGreaterThan(Object.keys(USER_KEYS).length + 5);
    for (const d of results.designs) {
      expect(d.status).toBe('ok');
      // used_memory is the growth during the sample: near zero at n = 0 whatever else the server holds
      const n0 = d.samples.find((s) => s.n === 0)!;
      expect(d.store).toBe('redis');
      expect(Math.abs(n0.storeUsedMemory!)).toBeLessThan(64 * 1024);
      expect(d.perObject.storeUsedMemory!.bytes).toBeGreaterThan(100);
      expect(d.perObject.storeUsedMemory!.bytes).toBeLessThan(4096);
      expect(d.samples.every((s) => s.storeRss === undefined)).toBe(true); // not our process: no RSS claimed
    }
  });

  it("deletes its own keys (latency included) and never touches the user's, in any database", async () => {
    for (const c of [db0, db3]) {
      expect((await c.keys('*')).sort()).toEqual(Object.keys(USER_KEYS).sort());
      for (const [k, v] of Object.entries(USER_KEYS)) expect(await c.get(k)).toBe(v);
    }
  });

  it('starts no redis-server of its own and leaves no child behind', async () => {
    expect(pids.length).toBeGreaterThan(0);
    expect(await survivors(pids)).toEqual([]);
  });
});

describe('bench --redis-url that does not answer', () => {
  it('exits 2 with one line before measuring anything', () => {
    const out = join(tmp, 'dead');
    const r = runScript('bench/cli.ts', ['--designs', 'redis-handle', '--maxsize', '4', '--redis-url', `unix://${join(tmp, 'no-such.sock')}`, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: --redis-url unix:\/\/.*no-such\.sock does not answer: Redis connect to .* failed: .*ENOENT/);
  });
});
