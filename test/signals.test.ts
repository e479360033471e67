// Ctrl-C / SIGTERM in the middle of a sample: the worker and the sample's redis-server are stopped (checked by
// PID), the samples already taken are kept in <name>.partial.json, the previous <name>.json is untouched, and the
// exit code says which signal ended the run.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Results } from '../src/results/schema.ts';
import { childrenOf, leftoverDirs, startScript, survivors, waitFor, watchChildren, killStrays } from './helpers/procs.ts';
import { PROCESS_GUARD_MS } from './helpers/run-cli.ts';

const dirs: string[] = [];
const strays: number[] = [];
afterAll(() => {
  killStrays(strays); // only PIDs this file saw as children of its own bench runs
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function interruptMidSample(signal: 'SIGTERM' | 'SIGINT', twice = false) {
  const out = mkdtempSync(join(tmpdir(), 'kcb-signal-'));
  dirs.push(out);
  const previous = '{"previous":"complete results"}\n';
  writeFileSync(join(out, 'latest.json'), previous);
  // --protocol fresh: one worker per (size, trial), 3 of them per design and trial, the first trial in the
  // built-ins' order: token-record's 3, then redis-handle's. The signal comes after redis-handle's second, so the
  // sample in flight has a redis-server and a worker, and redis-handle-encrypted has not been reached. --warmup 10:
  // what is measured does not matter here, only that samples complete.
  const run = startScript('bench/cli.ts', ['--designs', 'token-record,redis-handle,redis-handle-encrypted', '--maxsize', '20', '--trials', '3', '--min-trials', '3',
    '--protocol', 'fresh', '--steps', '3', '--warmup', '10', '--jobs', '1', '--snapshot-n', '0', '--no-latency', '--no-report', '--concurrency', '2', '--out', out]);
  const watch = watchChildren(run.pid, 10);
  // Five samples done (the last two redis-handle's), then wait for a moment when both the worker and its redis-server are running.
  await waitFor(() => /^\[5\/27\] redis-handle trial 1 /m.test(run.stderr()), PROCESS_GUARD_MS, 'five completed samples');
  let inFlight: ReturnType<typeof childrenOf> = [];
  await waitFor(() => {
    inFlight = childrenOf(run.pid);
    return inFlight.some((c) => c.comm === 'redis-server') && inFlight.some((c) => c.cmdline.includes('worker-'));
  }, PROCESS_GUARD_MS, 'a sample in flight');
  process.kill(run.pid, signal);
  if (twice) {
    // Signals sent back to back coalesce into one: send the second once the first has been seen.
    await waitFor(() => run.stderr().includes(`${signal}: stopping`), PROCESS_GUARD_MS, 'the first signal to be handled');
    try {
      process.kill(run.pid, signal);
    } catch {
      /* it finished first: the assertions below hold either way */
    }
  }
  const res = await run.done;
  watch.stop();
  const pids = [...watch.seen.keys()];
  strays.push(...pids);
  return { out, res, previous, pids, inFlight, redisDirs: watch.redisDirs() };
}

// The three interrupted runs are independent (each its own out dir, stand-in and children, found by PID): run
// them side by side rather than one after the other; every step waits for an event, not for a time.
const runs = new Map<string, Promise<Awaited<ReturnType<typeof interruptMidSample>>>>();
beforeAll(() => {
  runs.set('SIGTERM', interruptMidSample('SIGTERM'));
  runs.set('SIGINT', interruptMidSample('SIGINT'));
  runs.set('SIGTERM twice', interruptMidSample('SIGTERM', true));
  // a rejection is reported by the test that awaits it
  for (const p of runs.values()) p.catch(() => {});
});

describe.each([['SIGTERM', 143], ['SIGINT', 130]] as const)('%s in the middle of a sample', (signal, code) => {
  let r: Awaited<ReturnType<typeof interruptMidSample>>;

  it(`exits ${code}, keeps completed samples in latest.partial.json and leaves latest.json alone`, async () => {
    r = await runs.get(signal)!;
    expect(r.res.signal).toBeNull();
    expect(r.res.status).toBe(code);
    expect(r.res.stderr).toContain(`${signal}: stopping`);
    expect(r.res.stderr).toMatch(/interrupted: partial results in .*latest\.partial\.json; .*latest\.json was not changed/);
    expect(r.res.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(join(r.out, 'latest.json'), 'utf8')).toBe(r.previous);
    const partial = JSON.parse(readFileSync(join(r.out, 'latest.partial.json'), 'utf8')) as Results;
    expect(partial.meta.partial).toBe(true);
    const redis = partial.designs.find((d) => d.id === 'redis-handle')!;
    expect(redis.samples.length).toBeGreaterThanOrEqual(2);
    // the sample the signal killed is not blamed on the design
    expect(redis.failures).toEqual([]);
    expect(partial.designs.find((d) => d.id === 'token-record')!.samples).toHaveLength(3);
    expect(partial.designs.find((d) => d.id === 'redis-handle-encrypted')!.note).toMatch(/interrupted/);
    // atomic writes leave no temp file; no summary/CSV claims to be a complete run
    expect(readdirSync(r.out).sort()).toEqual(['latest.json', 'latest.partial.json']);
  });

  it('leaves no worker, redis-server or redis temp dir behind (checked by PID)', async () => {
    expect(r.inFlight.map((c) => c.comm)).toContain('redis-server');
    expect(r.pids.length).toBeGreaterThanOrEqual(r.inFlight.length);
    expect(await survivors(r.pids)).toEqual([]);
    expect(r.redisDirs.length).toBeGreaterThanOrEqual(3);
    expect(leftoverDirs(r.redisDirs)).toEqual([]);
  });
});

describe('SIGTERM twice (the second one exits at once, from the signal handler)', () => {
  it('still keeps the partial file and removes every child and the redis temp dirs', async () => {
    const r = await runs.get('SIGTERM twice')!;
    // 143 from the handler; or, when the second signal came as the run was already ending after the first (its
    // "interrupted" line printed, node's handlers gone), the signal itself: a shell reports that as 143 too
    const how = `status ${r.res.status}, signal ${r.res.signal}; stderr: ${r.res.stderr}`;
    if (r.res.signal === null) expect(r.res.status, how).toBe(143);
    else {
      expect(r.res.signal, how).toBe('SIGTERM');
      expect(r.res.stderr, how).toMatch(/^interrupted: partial results in /m);
    }
    expect(readFileSync(join(r.out, 'latest.json'), 'utf8')).toBe(r.previous);
    const partial = JSON.parse(readFileSync(join(r.out, 'latest.partial.json'), 'utf8')) as Results;
    expect(partial.meta.partial).toBe(true);
    expect(partial.designs.find((d) => d.id === 'redis-handle')!.samples.length).toBeGreaterThanOrEqual(2);
    expect(await survivors(r.pids)).toEqual([]);
    expect(leftoverDirs(r.redisDirs)).toEqual([]);
  });
});
