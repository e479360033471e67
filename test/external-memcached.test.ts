// --memcached-servers: an existing memcached pool the user owns (here one this test starts on a unix socket). The
// harness writes under a run-unique key prefix, deletes exactly its own keys afterwards (never flush_all),
// records the store's bytes as the growth during each run, claims no RSS for a server it does not own, and
// refuses a pool that does not answer before starting anything.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMemcached, stats, type MemcachedClient } from '../src/stores/memcached/client.ts';
import { readResults } from '../src/results/read.ts';
import type { Results } from '../src/results/schema.ts';
import { startMemcached } from './helpers/memcached.ts';
import { killStrays, startScript, survivors, watchChildren, type Finished } from './helpers/procs.ts';
import { runScript } from './helpers/run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kcb-extmc-'));
const USER_KEYS = { 'user:session': 'keep me', 'kcb:memcached-handle:0000': 'looks like ours, is not' };
let server: Awaited<ReturnType<typeof startMemcached>>;
let client: MemcachedClient;
const strays: number[] = [];

beforeAll(async () => {
  server = await startMemcached();
  client = await connectMemcached({ socketPath: server.socketPath });
  for (const [k, v] of Object.entries(USER_KEYS)) await client.set(k, v, 3600);
});
afterAll(() => {
  client?.close();
  server?.stop();
  killStrays(strays); // only PIDs seen as children of this file's own run
  rmSync(tmp, { recursive: true, force: true });
});

describe('bench --memcached-servers /…/mc.sock', () => {
  let res: Finished;
  let results: Results;
  let children: Array<{ comm: string; cmdline: string }>;
  let peakItems = 0;

  beforeAll(async () => {
    const out = join(tmp, 'out');
    const run = startScript('bench/cli.ts', ['--designs', 'memcached-handle', '--maxsize', '40', '--steps', '5', '--trials', '1',
      '--snapshot-n', '0', '--concurrency', '4', '--latency-ms', '50', '--no-report', '--memcached-servers', server.socketPath, '--out', out]);
    const watch = watchChildren(run.pid);
    const counter = setInterval(() => {
      stats({ socketPath: server.socketPath }, 500).then((s) => (peakItems = Math.max(peakItems, s[0].curr_items)), () => {});
    }, 50);
    res = await run.done;
    clearInterval(counter);
    watch.stop();
    strays.push(...watch.seen.keys());
    children = [...watch.seen.values()];
    if (res.status === 0) results = readResults(join(out, 'latest.json'));
  });

  it('measures against the existing pool and records it as external', () => {
    expect(res.stderr).not.toMatch(/error|failed/i);
    expect(res.status).toBe(0);
    expect(results.meta.stores).toEqual({ memcached: { kind: 'external', version: expect.stringMatching(/^\d+\.\d+/) } });
    expect(peakItems).toBeGreaterThan(Object.keys(USER_KEYS).length + 20);
    const d = results.designs[0];
    expect(d).toMatchObject({ id: 'memcached-handle', status: 'ok', store: 'memcached', topology: 'shared' });
    // the store's bytes are the growth during the run: zero at n = 0, whatever else the pool holds
    expect(d.samples.find((s) => s.n === 0)!.storeUsedMemory).toBe(0);
    expect(d.perObject.storeUsedMemory!.bytes).toBeGreaterThan(300);
    expect(d.perObject.storeUsedMemory!.bytes).toBeLessThan(2048);
    expect(d.samples.every((s) => s.storeRss === undefined)).toBe(true); // not our process: no RSS claimed
  });

  it("deletes its own keys (latency included) and never touches the user's", async () => {
    const [s] = await stats({ socketPath: server.socketPath });
    expect(s.curr_items).toBe(Object.keys(USER_KEYS).length);
    for (const [k, v] of Object.entries(USER_KEYS)) expect(await client.get(k)).toBe(v);
  });

  it('starts no memcached of its own and leaves no child behind', async () => {
    expect(children.length).toBeGreaterThan(0);
    expect(children.map((c) => c.comm)).not.toContain('memcached');
    expect(await survivors(strays)).toEqual([]);
  });
});

describe('bench --memcached-servers that does not answer', () => {
  it('exits 2 with one line before measuring anything', () => {
    const r = runScript('bench/cli.ts', ['--designs', 'memcached-handle', '--maxsize', '4', '--memcached-servers', join(tmp, 'no-such.sock'),
      '--out', join(tmp, 'dead')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: --memcached-servers .*no-such\.sock does not answer: /);
  });
});
