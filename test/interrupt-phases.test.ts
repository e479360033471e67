// Signals at the moments signals.test.ts does not cover: while the parent analyses the heap snapshot (seconds of
// work that used to run in the parent, deaf to signals, and replaced latest.json before exiting 143), and while the
// first sample of a design is in flight (that design was then "failed" with nothing measured).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Results } from '../src/results/schema.ts';
import { childrenOf, killStrays, startScript, survivors, waitFor, watchChildren } from './helpers/procs.ts';
import { runScript, PROCESS_GUARD_MS } from './helpers/run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kcb-interrupt-phases-'));
const strays: number[] = [];
afterAll(() => {
  killStrays(strays); // only PIDs seen as children of this file's own runs
  rmSync(tmp, { recursive: true, force: true });
});
const PREVIOUS = '{"previous":"complete results"}\n';

async function interrupted(name: string, args: string[], when: (stderr: string, pid: number) => boolean) {
  const out = join(tmp, name);
  const run = startScript('bench/cli.ts', [...args, '--no-latency', '--no-report', '--out', out]);
  const watch = watchChildren(run.pid, 20);
  await waitFor(() => {
    try {
      writeFileSync(join(out, 'latest.json'), PREVIOUS, { flag: 'wx' });
    } catch {
      /* not created yet, or written already */
    }
    return when(run.stderr(), run.pid);
  }, PROCESS_GUARD_MS, `the moment to interrupt ${name}`);
  process.kill(run.pid, 'SIGTERM');
  const res = await run.done;
  watch.stop();
  strays.push(...watch.seen.keys());
  return { out, res, pids: [...watch.seen.keys()] };
}

describe('SIGTERM while the parent analyses the heap snapshot', () => {
  it('exits 143 with the interrupted line, keeps the samples in the partial file and leaves latest.json alone', async () => {
    // a snapshot of 3,000 token records: its analysis takes seconds
    const { out, res, pids } = await interrupted('snapshot', ['--designs', 'token-record', '--maxsize', '20', '--steps', '3', '--trials', '1', '--min-trials', '1', '--snapshot-n', '3000'],
      (stderr) => /token-record snapshot n=3000 ok/.test(stderr));
    expect(res.signal).toBeNull();
    expect(res.status).toBe(143);
    expect(res.stderr).toMatch(/^SIGTERM: stopping/m);
    expect(res.stderr).toMatch(/^interrupted: partial results in .*latest\.partial\.json; .*latest\.json was not changed$/m);
    expect(res.stderr).not.toMatch(/heap snapshot not analysed/);
    expect(readFileSync(join(out, 'latest.json'), 'utf8')).toBe(PREVIOUS);
    const partial = JSON.parse(readFileSync(join(out, 'latest.partial.json'), 'utf8')) as Results;
    expect(partial.meta.partial).toBe(true);
    expect(partial.designs[0].samples).toHaveLength(3);
    expect(readdirSync(out).sort()).toEqual(['latest.json', 'latest.partial.json']);
    expect(await survivors(pids)).toEqual([]);
  });
});

describe('SIGTERM during the first sample of a design', () => {
  it('that design is "not measured: the run was interrupted first" in the partial file and its report, not "failed"', async () => {
    const { out, res, pids } = await interrupted('first-sample', ['--designs', 'token-record,redis-handle', '--maxsize', '20', '--steps', '3', '--trials', '1', '--min-trials', '1',
      '--jobs', '1', '--snapshot-n', '0'],
    // token-record done, redis-handle's worker and redis-server running
    (stderr, pid) => /token-record trial 1 n=0\.\.20 ok/.test(stderr) && childrenOf(pid).some((c) => c.comm === 'redis-server'));
    expect(res.status).toBe(143);
    const partial = JSON.parse(readFileSync(join(out, 'latest.partial.json'), 'utf8')) as Results;
    const redis = partial.designs.find((d) => d.id === 'redis-handle')!;
    expect(redis.samples).toEqual([]);
    expect(redis.failures).toEqual([]);
    expect(redis.status).not.toBe('failed');
    expect(redis.note).toBe('not measured: the run was interrupted first');
    expect(partial.designs.find((d) => d.id === 'token-record')!.status).toBe('ok');
    expect(await survivors(pids)).toEqual([]);
    const report = join(tmp, 'first-sample-report');
    const rendered = runScript('bench/report.ts', ['--in', join(out, 'latest.partial.json'), '--out', report]);
    expect(rendered.status).toBe(0);
    const summary = readFileSync(join(report, 'summary.md'), 'utf8');
    expect(summary).toMatch(/redis-handle.*not measured: the run was interrupted first/);
    expect(summary).not.toMatch(/redis-handle[^\n]*failed/);
  });
});
