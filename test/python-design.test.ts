// The python designs end to end: Debian's python3 running src/worker/python/worker.py against the embedded
// stand-in, through the same worker protocol as node (runWorker + launcherFor('python')) and through the bench CLI.
// Checks that the readings are sane, that python-keystoneclient costs the tokens we say it does (5.0.1
// authenticates inside the session-less constructor: one POST per object, no discovery), that no secret leaves
// the worker on success or failure, and that no python process outlives its run. Under CI the python packages
// must be there: a missing one fails here instead of skipping.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODULES } from '../src/design-registry/builtin.ts';
import { loadDesigns } from '../src/design-registry/registry.ts';
import type { DesignDescriptor } from '../src/designs/descriptor.ts';
import { startStandIn, type StandIn } from '../src/keystone/standin.ts';
import { stopPidusage } from '../src/measure/outside.ts';
import { launcherFor } from '../src/measure/runtimes.ts';
import { runWorker, type RunJob, type RunOutcome } from '../src/measure/session.ts';
import { readResults } from '../src/results/read.ts';
import type { Results, Sample } from '../src/results/schema.ts';
import { PYTHON_WORKER } from '../src/worker/python/paths.ts';
import { runScript } from './helpers/run-cli.ts';

const CI = process.env.CI === 'true';
const python = BUILTIN_MODULES.filter((m) => m.endsWith('.py'));
const { designs, unavailable } = await loadDesigns([], python);
const kc = designs.find((d) => d.id === 'python-keystoneclient');
const why = unavailable.get('python-keystoneclient') ?? unavailable.get('python_keystoneclient') ?? 'not loaded';
if (!kc && !CI) console.warn(`python-keystoneclient design tests skipped: ${why}`);

const MB = 1024 * 1024;

/** Python workers that are our children right now (by /proc, not by the harness's own bookkeeping). */
function pythonChildren(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(PYTHON_WORKER)) pids.push(Number(d));
    } catch {
      /* exited while we looked */
    }
  }
  return pids;
}

describe('python designs on this machine', () => {
  it.runIf(CI)('every python built-in loads (CI has the python packages)', () => {
    expect(Object.fromEntries(unavailable)).toEqual({});
    expect(designs.map((d) => d.id).sort()).toEqual(['aodh-session', 'aodh-session-nocatalog', 'aodh-shared-session', 'aodh-trusted-client', 'python-auth-state', 'python-keystoneclient', 'python-token-record']);
  });

  it('python-token-record needs nothing beyond python itself', () => {
    expect(designs.find((d) => d.id === 'python-token-record')).toMatchObject({ runtime: 'python', topology: 'per-worker', requires: [] });
  });
});

describe.skipIf(!kc && !CI)('python-keystoneclient design (real client, Debian python3)', () => {
  let s: StandIn;
  const job = (over: Partial<RunJob> = {}): RunJob => ({
    design: kc!,
    trial: 1,
    ladder: [0, 50],
    trustIds: s.trustIds,
    ctx: {
      keystone: { authUrl: s.authUrl, username: s.trustee.username, password: s.trustee.password, userDomainName: s.trustee.userDomainName },
      timeoutMs: 10_000,
      retries: 0,
      stores: {},
    },
    warmup: 1,
    concurrency: 1,
    timeoutMs: 60_000,
    ...over,
  });
  /** Runs one worker and returns its outcome with the tokens the stand-in issued meanwhile. */
  const run = async (j: RunJob): Promise<{ outcome: RunOutcome; tokens: number }> => {
    const before = s.tokensIssued();
    const outcome = await runWorker(j, launcherFor('python'));
    return { outcome, tokens: s.tokensIssued() - before };
  };
  /** Nothing returned may contain the password or any token the stand-in issued. */
  const expectNoSecrets = (value: unknown) => {
    const text = JSON.stringify(value);
    expect(text).not.toContain(s.trustee.password);
    for (const t of s.issuedTokens()) expect(text).not.toContain(t);
  };
  let traced: Sample[] = [];

  beforeAll(async () => {
    s = await startStandIn({ trusts: 60, recordTokens: true });
  });
  afterAll(async () => {
    stopPidusage();
    await s?.close();
  });

  it('n = 0 and n = 50 traced: sane readings, one token per object plus the warm-up, no process left', async () => {
    const { outcome, tokens } = await run(job({ trace: true }));
    expect(outcome.failure?.reason).toBeUndefined();
    traced = outcome.samples;
    expect(traced.map((r) => r.n)).toEqual([0, 50]);
    for (const r of traced) {
      // An interpreter with keystoneclient imported is ~65 MB on Debian 12; anything tiny means a bad reading.
      expect(r.rss).toBeGreaterThan(10 * MB);
      expect(r.pidusageRss).toBeGreaterThan(0);
      expect(Math.abs(r.pidusageRss - r.rss)).toBeLessThan(16 * MB); // same process, same moment
      expect(r.tracemalloc).toBeGreaterThan(0);
      expect(r.heapUsed).toBeUndefined();
      expect(r.fds).toBeGreaterThan(2);
      expect(r.buildMs).toBeGreaterThanOrEqual(0);
    }
    // 5.0.1 authenticates in the constructor: the warm-up object + 50 objects, 1 POST each; the worker counts the same
    expect(tokens).toBe(50 + 1);
    expect(traced[1].tokens).toBe(51);
    expectNoSecrets(outcome);
    expect(pythonChildren()).toEqual([]);
  });

  it('memory grows with n', () => {
    const [r0, r50] = traced;
    if (!r0 || !r50) throw new Error('the traced run failed');
    // 50 clients holding token + catalog: tens of KB each in the python heap (tracemalloc is exact, RSS moves in pages).
    expect(r50.tracemalloc! - r0.tracemalloc!).toBeGreaterThan(50 * 10_000);
    expect(r50.rss).toBeGreaterThan(r0.rss);
  });

  it('without tracemalloc (the default) reports no tracemalloc, same tokens', async () => {
    const { outcome, tokens } = await run(job({ ladder: [50] }));
    expect(outcome.failure?.reason).toBeUndefined();
    expect(outcome.samples).toHaveLength(1);
    expect(outcome.samples[0].tracemalloc).toBeUndefined();
    expect(outcome.samples[0].rss).toBeGreaterThan(10 * MB);
    expect(tokens).toBe(51);
    expect(pythonChildren()).toEqual([]);
  });

  it('a deleted trust fails the run with a redacted one-line reason', async () => {
    const [warm, gone] = s.createTrusts(2);
    s.deleteTrust(gone);
    const { outcome } = await run(job({ ladder: [1], trustIds: [warm, gone] }));
    expect(outcome.failure).toBeDefined();
    expect(outcome.failure!.reason).toMatch(/401|Unauthorized/);
    expect(outcome.failure!.reason).not.toContain('\n');
    expect(outcome.failure!.n).toBe(1);
    expect(outcome.setup).toBe(false); // the warm-up worked: this failure is the entry's
    expectNoSecrets(outcome);
    expect(pythonChildren()).toEqual([]);
  });

  it('an error whose text would contain the password is scrubbed', async () => {
    // An unreachable auth URL with the password in its path: requests' error message quotes the URL.
    const j = job({ ladder: [0] });
    j.ctx = { ...j.ctx, keystone: { ...j.ctx.keystone, authUrl: `http://127.0.0.1:9/${s.trustee.password}/v3` } };
    const { outcome } = await run(j);
    expect(outcome.failure).toBeDefined();
    expect(outcome.failure!.reason).not.toContain('\n');
    expect(outcome.failure!.reason.length).toBeGreaterThan(10);
    expect(outcome.setup).toBe(true); // the warm-up could not authenticate
    expectNoSecrets(outcome);
    expect(pythonChildren()).toEqual([]);
  });

  it('a Keystone that never answers times the run out and kills the child', async () => {
    s.setFault({ kind: 'hang' });
    try {
      const { outcome } = await run(job({ ladder: [1], timeoutMs: 3_000 }));
      expect(outcome.failure).toBeDefined();
      expect(outcome.failure!.reason).toMatch(/timed out after 3 s/);
    } finally {
      s.setFault(null);
    }
    expect(pythonChildren()).toEqual([]);
  });
});

describe.skipIf(!kc && !CI)('python designs through npm run bench', () => {
  let out: string;
  let res: ReturnType<typeof runScript>;
  let results: Results;
  const IDS = ['python-keystoneclient', 'python-token-record', 'python-auth-state'];
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'kcb-py-bench-'));
    res = runScript('bench/cli.ts', ['--designs', IDS.join(','), '--maxsize', '80', '--steps', '5', '--trials', '2', '--min-trials', '2',
      '--warmup', '10', '--no-latency', '--snapshot-n', '0', '--python-snapshot-n', '0', '--no-report', '--quiet', '--out', out]);
    if (res.status === 0) results = readResults(join(out, 'latest.json'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const design = (id: string) => results.designs.find((d) => d.id === id)!;

  it('measures them like any design: python runtime, RSS readings, no V8 heap', () => {
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(results.designs.map((d) => d.id)).toEqual(IDS);
    for (const d of results.designs) {
      expect(d).toMatchObject({ runtime: 'python', status: 'ok', trials: 2, sizes: [0, 20, 40, 60, 80] });
      expect(d.samples).toHaveLength(10);
      for (const s of d.samples) {
        expect(s.rss).toBeGreaterThan(10 * MB);
        expect(s.heapUsed).toBeUndefined();
        expect(s.tracemalloc).toBeUndefined(); // tracemalloc only in the cross-check worker (--python-snapshot-n 0: none)
        expect(s.pymallocArenas).toBeGreaterThan(0); // the allocators' own count, read in every RSS worker
        expect(s.mallocHeld).toBeGreaterThan(0);
      }
      expect(d.perObject.heapUsed).toBeUndefined();
      expect(d.perObject.rss).toBeDefined();
      expect(d.snapshot).toBeUndefined(); // --python-snapshot-n 0: no cross-check worker
      expect(d.crossCheck).toBeUndefined();
    }
    expect(design('python-auth-state')).toMatchObject({ topology: 'shared', store: 'memcached' });
    expect(results.meta.stores).toEqual({ memcached: { kind: 'private', version: expect.any(String) } });
  });

  it('python-keystoneclient mints one token per object (and per warm-up creation); the shared design none for a stored trust', () => {
    // python warms up by creating --warmup entries for one trust, then grows to 80
    expect(design('python-keystoneclient').tokensIssued).toBe(2 * (10 + 80));
    expect(design('python-token-record').tokensIssued).toBe(2 * (10 + 80));
    // the shared design finds the warm-up trust's state in memcached after its first creation
    expect(design('python-auth-state').tokensIssued).toBe(2 * (1 + 80));
  });

  it('a client with its parsed catalog costs far more per entry than a token record; the shared state lives in memcached', () => {
    const rss = (id: string) => design(id).perObject.rss!.bytes;
    expect(rss('python-keystoneclient')).toBeGreaterThan(10 * 1024);
    expect(rss('python-keystoneclient')).toBeGreaterThan(5 * rss('python-token-record'));
    const mc = design('python-auth-state').perObject.storeUsedMemory!;
    expect(mc.bytes).toBeGreaterThan(4 * 1024); // the whole token body with its catalog, per key
    expect(mc.bytes).toBeLessThan(32 * 1024);
  });
});

describe.skipIf(!kc && !CI)('the python cross-check worker through npm run bench', () => {
  let out: string;
  let res: ReturnType<typeof runScript>;
  let results: Results;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'kcb-py-check-'));
    res = runScript('bench/cli.ts', ['--designs', 'python-token-record,example-python-payload', '--design-module', 'examples/python_payload.py',
      '--maxsize', '40', '--steps', '3', '--trials', '2', '--min-trials', '2', '--warmup', '2', '--no-latency', '--python-snapshot-n', '20',
      '--no-report', '--quiet', '--out', out]);
    if (res.status === 0) results = readResults(join(out, 'latest.json'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('gives every python design its retained size, breakdown, tracemalloc slope and allocation sites, from a worker of its own', () => {
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    for (const d of results.designs) {
      expect(d.snapshot).toMatchObject({ n: 20, retainedPerEntry: expect.any(Number) });
      expect(d.snapshot!.breakdown.length).toBeGreaterThan(0);
      expect(d.crossCheck!.samples.map((s) => s.n)).toEqual([0, 5, 10, 15, 20]);
      expect(d.crossCheck!.topSites.length).toBeGreaterThan(0);
      expect(d.perObject.tracemalloc!.bytes).toBeGreaterThan(0);
      // the RSS workers never trace: their readings are not inflated by it
      for (const s of d.samples) expect(s.tracemalloc).toBeUndefined();
      expect(d.samples).toHaveLength(6); // 3 sizes x 2 trials: the cross-check's readings are not among them
      expect(Math.abs(d.snapshot!.relativeDifference!)).toBeLessThan(0.1); // tracemalloc against the object graph
    }
    const payload = results.designs.find((d) => d.id === 'example-python-payload')!;
    expect(payload.snapshot!.breakdown[0].owner).toBe('(entry) (bytes)');
    expect(payload.pythonRssSplit).toMatchObject({ retained: payload.snapshot!.retainedPerEntry });
    expect(payload.pythonRssSplit!.allocatorOverhead).toBeCloseTo(payload.perObject.tracemalloc!.bytes - payload.snapshot!.retainedPerEntry, 6);
  });
});
