// kill -9 of the harness runs no exit hook: its private redis-server and memcached must still not outlive it (they
// get SIGKILL from the kernel when their parent dies, src/util/parent-death.ts), nor its workers (their IPC closes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childrenOf, killStrays, startScript, survivors, waitFor, watchChildren } from './helpers/procs.ts';
import { PROCESS_GUARD_MS } from './helpers/run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kcb-orphans-'));
const strays: number[] = [];
afterAll(() => {
  killStrays(strays); // only PIDs seen as children of this file's own run
  rmSync(tmp, { recursive: true, force: true });
});

describe('kill -9 of the harness while samples run', () => {
  it('leaves no redis-server, memcached or worker behind', async () => {
    // both samples wait on a Keystone that never answers (test hook), their store servers running
    const run = startScript('bench/cli.ts', ['--designs', 'redis-handle,memcached-handle', '--jobs', '2', '--maxsize', '20', '--steps', '3', '--trials', '1',
      '--min-trials', '1', '--snapshot-n', '0', '--keystone-timeout', '600', '--no-latency', '--no-report', '--out', join(tmp, 'out')],
    { env: { KCB_STANDIN_FAULT: 'hang', TMPDIR: tmp } });
    const watch = watchChildren(run.pid, 20);
    await waitFor(() => {
      const comms = childrenOf(run.pid).map((c) => c.comm);
      return comms.includes('redis-server') && comms.includes('memcached') && comms.filter((c) => c === 'node').length >= 2;
    }, PROCESS_GUARD_MS, 'both store servers and both workers');
    const seen = childrenOf(run.pid);
    strays.push(...seen.map((c) => c.pid));
    process.kill(run.pid, 'SIGKILL');
    const res = await run.done;
    watch.stop();
    strays.push(...watch.seen.keys());
    expect(res.signal).toBe('SIGKILL');
    expect(seen.map((c) => c.comm).sort()).toEqual(expect.arrayContaining(['memcached', 'node', 'node', 'redis-server']));
    expect(await survivors(seen.map((c) => c.pid), 10_000)).toEqual([]);
  });
});
