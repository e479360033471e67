// Faults while measuring: a Keystone that refuses, breaks or hangs, a worker killed by its V8 heap limit, a
// redis-server that dies or freezes mid-sample. Each must fail the affected samples with a clear reason in bounded
// time while the rest of the run completes and is written; no process may outlive the run.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, KeystoneError } from '../src/keystone/auth.ts';
import { startStandIn, type StandIn } from '../src/keystone/standin.ts';
import type { DesignTally } from '../src/analysis/design-result.ts';
import type { DesignDescriptor } from '../src/designs/descriptor.ts';
import { BUILTIN_MODULES } from '../src/design-registry/builtin.ts';
import { loadDesigns } from '../src/design-registry/registry.ts';
import { runCampaign, runKeyPrefix } from '../src/measure/campaign.ts';
import { startStandInEnv, type KeystoneEnv } from '../src/keystone/env.ts';
import { launcherFor } from '../src/measure/runtimes.ts';
import { runWorker } from '../src/measure/session.ts';
import { startRedisServer } from '../src/stores/redis/server.ts';
import type { Results } from '../src/results/schema.ts';
import { childrenOf, leftoverDirs, redisDirOf, startScript, survivors, watchChildren, type Finished, killStrays } from './helpers/procs.ts';
import { filesUnder, leaks, readDump } from './helpers/secrets.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kcb-faults-'));
const strays: number[] = [];
afterAll(() => {
  killStrays(strays); // only PIDs seen as children of this file's own runs
  rmSync(tmp, { recursive: true, force: true });
});

interface CliRun {
  out: string;
  dump: string;
  res: Finished;
  pids: number[];
  results?: Results;
}

/** One bench run with the stand-in told to misbehave (KCB_STANDIN_FAULT) or other flags, watched by PID. */
async function bench(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const out = join(tmp, name);
  const dump = join(tmp, `${name}.secrets.json`);
  const run = startScript('bench/cli.ts', ['--trials', '1', '--snapshot-n', '0', '--no-report', '--no-latency', '--out', out, ...args],
    { env: { ...env, KCB_TEST_DUMP_TOKENS: dump } });
  const watch = watchChildren(run.pid);
  const res = await run.done;
  watch.stop();
  const pids = [...watch.seen.keys()];
  strays.push(...pids);
  const json = join(out, 'latest.json');
  return { out, dump, res, pids, results: existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : undefined };
}

const KEYSTONE_FAULTS = [
  ['401', 'status:401', /answered 401 Unauthorized \(trust [0-9a-f]{8}…: wrong credentials, or the trust is deleted or expired\)/],
  ['500', 'status:500', /answered 500 \(trust [0-9a-f]{8}…\)/],
  ['malformed JSON', 'malformed', /sent a token response that is not valid JSON/],
] as const;

const runs = new Map<string, CliRun>();
beforeAll(async () => {
  // The hanging Keystone beside two waves: the other Keystone faults, then the heap limit. Not all five at once:
  // that many runs at once on two cores would time the machine, not the failure handling.
  // --protocol fresh: one worker per size, 5 runs per design, so the give-up after 3 set-up failures shows
  // one worker at a time: the give-up rule counts set-up failures in a row, which overlapping workers blur
  const fresh = ['--protocol', 'fresh', '--steps', '5', '--maxsize', '4', '--jobs', '1'];
  const hang = (async () => {
    runs.set('hang', await bench('ks-hang', ['--designs', 'token-record', ...fresh, '--keystone-timeout', '1', '--concurrency', '1'], { KCB_STANDIN_FAULT: 'hang' }));
  })();
  await Promise.all(KEYSTONE_FAULTS.map(async ([name, fault]) => {
    runs.set(name, await bench(`ks-${fault.replace(':', '-')}`, ['--designs', 'full-client,redis-handle', ...fresh], { KCB_STANDIN_FAULT: fault }));
  }));
  runs.set('oom', await bench('oom', ['--designs', 'full-client,token-record', '--maxsize', '200', '--steps', '5', '--warmup', '20', '--worker-max-old-space', 'full-client=14']));
  await hang;
});

function expectRunEndedCleanly(run: CliRun) {
  expect(run.res.signal).toBeNull();
  expect(run.res.status).toBe(1);
  expect(run.res.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(run.results).toBeDefined();
}

describe('Keystone stand-in misbehaving (KCB_STANDIN_FAULT)', () => {
  it.each(KEYSTONE_FAULTS)('%s: every design fails with a clear reason, results are still written, exit 1', async (name, _fault, reason) => {
    const run = runs.get(name)!;
    expectRunEndedCleanly(run);
    for (const d of run.results!.designs) {
      expect(d.status).toBe('failed');
      expect(d.failures).toHaveLength(5);
      expect(d.failures[0].reason).toMatch(reason);
      // set-up failures do not depend on n: after three in a row the rest are not run at all
      expect(d.failures.filter((f) => f.reason.startsWith('not run:'))).toHaveLength(2);
      expect(run.res.stderr).toMatch(new RegExp(`^${d.id}: 5 worker run\\(s\\) failed \\(status failed\\): .*${reason.source}`, 'm'));
    }
    // (how long that took depends on the machine: the give-up is asserted by the runs that were not started)
  });

  it('hanging: each request times out after --keystone-timeout, with bounded retries; the run ends', () => {
    const run = runs.get('hang')!;
    expectRunEndedCleanly(run);
    const d = run.results!.designs[0];
    expect(d.status).toBe('failed');
    expect(d.failures[0].reason).toMatch(/Keystone at http:\/\/127\.0\.0\.1:\d+\/v3 did not answer within 1000 ms/);
    // each run ended on its own requests' timeouts, never on the 300 s sample timeout
    expect(d.failures.every((f) => !/timed out after/.test(f.reason))).toBe(true);
  });

  it('no password, token or trust id appears in the outputs, stdout or stderr of the failed runs', () => {
    for (const name of [...KEYSTONE_FAULTS.map((f) => f[0]), 'hang']) {
      const run = runs.get(name)!;
      const dump = readDump(run.dump);
      if (name === 'malformed JSON') expect(dump.tokens.length).toBeGreaterThan(0); // sent in X-Subject-Token
      expect(leaks([...filesUnder(run.out), ['stdout', run.res.stdout], ['stderr', run.res.stderr]], dump)).toEqual([]);
    }
  });

  it('leaves no child process behind', async () => {
    const pids = [...runs.values()].flatMap((r) => r.pids);
    expect(pids.length).toBeGreaterThan(0);
    expect(await survivors(pids)).toEqual([]);
  });
});

describe('retries and timeouts of one authentication (src/keystone/auth.ts)', () => {
  let ks: StandIn;
  beforeAll(async () => {
    ks = await startStandIn({ trusts: 2 });
  });
  afterAll(() => ks.close());
  const target = () => ({ authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: 'Default' });

  async function attempts(fault: Parameters<StandIn['setFault']>[0], timeoutMs: number, retries: number) {
    ks.setFault(fault);
    const before = ks.authRequests();
    const t0 = Date.now();
    const err = await authenticate(target(), { trustId: ks.trustIds[0], timeoutMs, retries }).catch((e: unknown) => e);
    ks.setFault(null);
    return { err: err as KeystoneError, requests: ks.authRequests() - before, ms: Date.now() - t0 };
  }

  it('retries a 500 exactly `retries` times, never a 401 or a malformed answer', async () => {
    const e500 = await attempts({ kind: 'status', status: 500 }, 1000, 2);
    expect(e500.err).toBeInstanceOf(KeystoneError);
    expect(e500.err.kind).toBe('server');
    expect(e500.requests).toBe(3);
    const e401 = await attempts({ kind: 'status', status: 401 }, 1000, 2);
    expect([e401.err.kind, e401.requests]).toEqual(['unauthorized', 1]);
    const bad = await attempts({ kind: 'malformed' }, 1000, 2);
    expect([bad.err.kind, bad.requests]).toEqual(['malformed', 1]);
  });

  it('gives up on a slow or hanging Keystone after timeout × (retries + 1)', async () => {
    const slow = await attempts({ kind: 'delay', ms: 30_000 }, 300, 1);
    expect([slow.err.kind, slow.requests]).toEqual(['timeout', 2]);
    expect(slow.err.message).toMatch(/did not answer within 300 ms/);
    // Had it waited for an answer, one attempt alone would take the server's 30 s: two attempts that gave up on
    // their own take less than that together, however busy the machine (undici checks its timeout on a coarse
    // ~0.5 s tick, so no tighter bound).
    expect(slow.ms).toBeLessThan(30_000);
    const hang = await attempts({ kind: 'hang' }, 300, 0);
    expect([hang.err.kind, hang.requests]).toEqual(['timeout', 1]);
    // a server that never answers: the one attempt ends by its own timeout (bounded: within 100 times its 300 ms)
    expect(hang.ms).toBeLessThan(30_000);
  });
});

// 14 MB: the worker holds ~9 MB at N = 0 and a full client adds ~34 KB, so it died at N = 150 in every try, inside
// the ladder (12 MB: at 50 or 100; 16 MB, with the young generation pinned at 4 MB: it sometimes fitted all 200)
describe('a worker killed by its V8 heap limit (--worker-max-old-space full-client=14)', () => {
  it('is a failed run with the reason, the readings before it kept; the other design completes; exit 1 and the output says what failed', () => {
    const run = runs.get('oom')!;
    expectRunEndedCleanly(run);
    const full = run.results!.designs.find((d) => d.id === 'full-client')!;
    const record = run.results!.designs.find((d) => d.id === 'token-record')!;
    expect(['partial', 'failed']).toContain(full.status);
    expect(full.failures).toHaveLength(1); // one worker per trial, and --trials 1
    const [oom] = full.failures;
    expect(oom).toMatchObject({ trial: 1, reason: 'worker ran out of memory' });
    // it died while growing to the size it was building; the readings taken on the way there are kept
    expect([50, 100, 150, 200]).toContain(oom.n);
    expect(full.samples.map((s) => s.n)).toEqual([0, 50, 100, 150, 200].filter((n) => n < oom.n));
    expect(full.note).toMatch(/sample\(s\) failed: worker ran out of memory/);
    expect(record.status).toBe('ok');
    expect(record.samples).toHaveLength(5);
    expect(run.res.stderr).toMatch(/^full-client: 1 worker run\(s\) failed \(status (partial|failed)\): worker ran out of memory$/m);
    expect(run.res.stderr).not.toMatch(/^token-record: /m);
    expect(readFileSync(join(run.out, 'summary.md'), 'utf8')).toMatch(new RegExp(`## Failed samples[\\s\\S]*\`full-client\` N = ${oom.n}, trial 1: worker ran out of memory`));
  });
});

describe('redis-server dying or freezing in the middle of a sample', () => {
  let keystone: KeystoneEnv;
  let redisHandle: DesignDescriptor;
  let tokenRecord: DesignDescriptor;
  beforeAll(async () => {
    keystone = await startStandInEnv({ services: 13, trusts: 80 }, {});
    const { designs } = await loadDesigns([], BUILTIN_MODULES.filter((m) => m.endsWith('.ts')));
    redisHandle = designs.find((d) => d.id === 'redis-handle')!;
    tokenRecord = designs.find((d) => d.id === 'token-record')!;
  });
  afterAll(() => keystone.close());

  it('killed mid-build: that Redis run fails clearly and fast, the other runs complete', async () => {
    // Slow every authentication a little, so the build of n = 60 takes ~0.6 s and the kill lands inside it.
    keystone.standIn!.setFault({ kind: 'delay', ms: 20 });
    const tallies = new Map<string, DesignTally>();
    const seenLive: string[] = [];
    const redisDirs: string[] = [];
    let killed = 0;
    const tokensAtStart = keystone.tokensIssued()!;
    const watcher = setInterval(() => {
      const redis = childrenOf(process.pid).find((c) => c.comm === 'redis-server');
      const dir = redis && redisDirOf(redis.cmdline); // the cmdline may still be empty right after the fork
      if (dir && !redisDirs.includes(dir)) redisDirs.push(dir);
      // warm-up (2 tokens) done and 10 entries built: the worker is in the middle of its build
      if (!killed && redis && keystone.tokensIssued()! - tokensAtStart >= 12) {
        process.kill(redis.pid, 'SIGKILL');
        killed = redis.pid;
      }
    }, 5);
    try {
      // two trials, designs in turn: redis-handle (killed), token-record, redis-handle (a fresh server), token-record
      await runCampaign(
        [{ descriptor: redisHandle, sizes: [60], warmup: 2 }, { descriptor: tokenRecord, sizes: [5], warmup: 2 }],
        keystone,
        {
          protocol: 'incremental', seed: 1, trials: { min: 2, max: 2, targetRelHalfWidth: 0.01 },
          concurrency: 2, timeoutS: 120, keystoneTimeoutMs: 60_000, keystoneRetries: 0,
          externalStores: {}, keyPrefix: runKeyPrefix(), shouldStop: () => false,
          onDone: (r, o) => {
            // the map handed in is filled as runs finish (the CLI's exit hook relies on it)
            const t = tallies.get(r.design);
            seenLive.push(`${r.design}:${(t?.samples.length ?? 0) + (t?.failures.length ?? 0)}`);
            if (o.failure) keystone.standIn!.setFault(null);
          },
        },
        tallies,
      );
    } finally {
      clearInterval(watcher);
      keystone.standIn!.setFault(null);
    }
    expect(killed).toBeGreaterThan(0);
    const redis = tallies.get('redis-handle')!;
    expect(redis.failures).toHaveLength(1);
    expect(redis.failures[0]).toMatchObject({ n: 60, trial: 1 });
    // which call notices first varies: "connection lost", "Socket closed unexpectedly", "read ECONNRESET"
    expect(redis.failures[0].reason).toMatch(/^Redis (SET|GET|INFO memory) failed: (connection lost|Socket closed unexpectedly|.*ECONNRESET|.*EPIPE)/);
    expect(redis.samples.map((s) => [s.trial, s.n])).toEqual([[2, 60]]); // the next Redis run gets a fresh server
    expect(redis.samples[0].storeUsedMemory).toBeGreaterThan(0);
    expect(tallies.get('token-record')!.samples.map((s) => s.trial)).toEqual([1, 2]);
    expect(seenLive).toEqual(['redis-handle:1', 'token-record:1', 'redis-handle:2', 'token-record:2']);
    expect(await survivors([killed])).toEqual([]);
    expect(redisDirs.length).toBe(2);
    expect(leftoverDirs(redisDirs)).toEqual([]);
  });

  it('frozen (SIGSTOP): the run fails after the Redis timeout instead of hanging', async () => {
    const server = await startRedisServer();
    process.kill(server.pid, 'SIGSTOP');
    try {
      const t0 = Date.now();
      const outcome = await runWorker({
        design: redisHandle, trial: 1, ladder: [0, 5], trustIds: await keystone.trustIds(6), warmup: 2, concurrency: 2, timeoutMs: 120_000,
        ctx: { keystone: keystone.target, timeoutMs: 500, retries: 0, stores: { redis: { socketPath: server.socketPath, keyPrefix: 'kcb:' } } },
      }, launcherFor('node'));
      expect(outcome.failure).toBeDefined();
      expect(outcome.failure!.reason).toMatch(/^Redis did not answer .* within 500 ms$/);
      expect(outcome.setup).toBe(true); // the design could not even open: nothing depends on n
      expect(outcome.samples).toEqual([]);
      // ended by the Redis timeout, long before the worker's own 120 s limit (the reason above names it)
      expect(Date.now() - t0).toBeLessThan(120_000);
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await server.stop();
    }
  });
});
