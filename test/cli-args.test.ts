import { mkdtempSync, writeFileSync, readFileSync, chmodSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oldSpaceLimits, parseBenchArgs, type BenchOptions } from '../src/cli/args.ts';
import { chooseDesigns, planRun } from '../src/measure/run-plan.ts';
import { UsageError } from '../src/cli/errors.ts';
import { loadDesigns, type DesignSet } from '../src/design-registry/registry.ts';
import { runScript } from './helpers/run-cli.ts';
import { startScript } from './helpers/procs.ts';
import { runInProcess } from './helpers/in-process.ts';

const bad: Array<[string, string[], RegExp]> = [
  ['maxsize 0', ['--maxsize', '0'], /--maxsize must be at least 4/],
  ['negative maxsize', ['--maxsize', '-5'], /--maxsize must be at least 4/],
  ['fractional maxsize', ['--maxsize', '10.5'], /whole number/],
  ['non-numeric maxsize', ['--maxsize', 'lots'], /--maxsize needs a number \(got "lots"\)/],
  ['trials 0', ['--trials', '0'], /--trials must be at least 1/],
  ['min-trials 0', ['--min-trials', '0'], /--min-trials must be at least 1/],
  ['target-ci 0', ['--target-ci', '0'], /--target-ci must be a percentage above 0/],
  ['target-ci not a number', ['--target-ci', 'tight'], /--target-ci needs a number/],
  ['unknown protocol', ['--protocol', 'sometimes'], /--protocol must be one of incremental, fresh/],
  ['negative warmup', ['--warmup', '-1'], /--warmup must be at least 0/],
  ['fractional snapshot-n', ['--snapshot-n', '2.5'], /--snapshot-n must be a whole number/],
  ['no design named', ['--designs', ','], /--designs names no design/],
  ['memcached server without a port', ['--memcached-servers', '127.0.0.1'], /--memcached-servers takes host:port or \/path\/to\.sock entries, got "127\.0\.0\.1"/],
  ['memcached servers empty', ['--memcached-servers', ','], /--memcached-servers names no server/],
  ['unknown flag', ['--frobnicate'], /Unknown option '--frobnicate'/],
  ['steps too few', ['--steps', '2'], /--steps must be at least 3/],
  ['keystone url with credentials', ['--keystone-url', 'http://u:p@127.0.0.1:5000/v3'], /must not carry credentials/],
  ['redis url with credentials', ['--redis-url', 'redis://:pw@127.0.0.1:6379'], /must not carry credentials/],
  ['a password flag (there is none: credentials come from OS_* only)', ['--password', 'x'], /Unknown option '--password'/],
  ['an --os-password flag', ['--os-password', 'x'], /Unknown option '--os-password'/],
  ['keystone timeout 0', ['--keystone-timeout', '0'], /--keystone-timeout must be at least 1/],
  ['latency time too short', ['--latency-ms', '5'], /--latency-ms must be at least 20/],
  ['latency time too long', ['--latency-ms', '1e6'], /--latency-ms/],
  ['unknown token path', ['--token-path', 'pigeon'], /--token-path must be one of in-process, http/],
  ['in-process tokens from a real Keystone', ['--token-path', 'in-process', '--keystone-url', 'http://127.0.0.1:5000/v3'], /--token-path in-process needs the embedded stand-in/],
  ['--out inside a file', ['--out', '/etc/hostname/results'], /cannot be created/],
  // as root, access(W_OK) says yes to /proc; only really creating something there tells the truth
  ['--out in /proc (not writable, even for root)', ['--out', '/proc/kcb-results'], /--out \/proc\/kcb-results is inside a kernel file system/],
  ['--out is /proc itself', ['--out', '/proc'], /--out \/proc is inside a kernel file system/],
];

describe('bench CLI validation', () => {
  it.each(bad)('%s → UsageError', (_name, argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrowError(UsageError);
    expect(() => parseBenchArgs(argv)).toThrowError(message);
  });

  it('refuses an --out that is a file or not writable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcb-args-'));
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(() => parseBenchArgs(['--out', file])).toThrowError(/is a file/);
    const ro = join(dir, 'ro');
    writeFileSync(join(dir, 'placeholder'), '');
    chmodSync(dir, 0o500);
    try {
      // root ignores permission bits; only assert where they apply
      if (process.getuid?.() !== 0) expect(() => parseBenchArgs(['--out', ro])).toThrowError(/cannot be created/);
    } finally {
      chmodSync(dir, 0o700);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes a heap limit for every node design or per design (fault tests), checked against the designs of the run', () => {
    const all = parseBenchArgs(['--worker-max-old-space', '64']);
    const one = parseBenchArgs(['--designs', 'full-client,token-record', '--worker-max-old-space', 'full-client=16']);
    expect(all !== 'help' && all.workerMaxOldSpace).toEqual({ '*': 64 });
    expect(one !== 'help' && one.workerMaxOldSpace).toEqual({ 'full-client': 16 });
    expect(oldSpaceLimits(undefined)).toBeUndefined();
    const bad: Array<[string, RegExp]> = [
      ['full-client=4', /--worker-max-old-space must be at least 8/],
      ['full-client=lots', /--worker-max-old-space must be a whole number|--worker-max-old-space needs a number/],
    ];
    for (const [raw, message] of bad) {
      expect(() => oldSpaceLimits(raw), raw).toThrowError(UsageError);
      expect(() => oldSpaceLimits(raw), raw).toThrowError(message);
    }
  });

  it('takes the new measuring flags', () => {
    const o = parseBenchArgs(['--trials', '4', '--min-trials', '9', '--target-ci', '2.5', '--protocol', 'fresh', '--warmup', '0',
      '--snapshot-n', '0', '--memcached-servers', '127.0.0.1:11211,/run/mc.sock', '--design-module', 'a.ts', '--design-module', 'b.py',
      '--baseline', 'old.json', '--latency-ms', '50']);
    if (o === 'help') throw new Error('help');
    expect(o.latencyMs).toBe(50);
    expect(o.minTrials).toBe(4); // never more than --trials
    expect(o.targetCi).toBeCloseTo(0.025, 12);
    expect(o.protocol).toBe('fresh');
    expect(o.warmup).toBe(0);
    expect(o.snapshotN).toBe(0);
    expect(o.externalStores.memcached).toEqual({ servers: ['127.0.0.1:11211', '/run/mc.sock'] });
    expect(o.designModules).toEqual(['a.ts', 'b.py']);
    expect(o.baseline).toBe('old.json');
  });

  it('leaves nothing behind when it probes whether --out is writable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcb-probe-'));
    try {
      parseBenchArgs(['--out', dir]);
      parseBenchArgs(['--out', join(dir, 'new', 'sub')]);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('has sensible defaults', () => {
    const o = parseBenchArgs([]);
    expect(o).not.toBe('help');
    if (o === 'help') return;
    expect(o.maxsize).toBe(10_000);
    expect(o.trials).toBeGreaterThanOrEqual(5);
    expect(o.minTrials).toBeGreaterThanOrEqual(2);
    expect(o.minTrials).toBeLessThanOrEqual(o.trials);
    expect(o.steps).toBeUndefined(); // chosen per design: 11 readings for small entries, 9 for large ones
    expect(o.jobs).toBeGreaterThanOrEqual(1);
    expect(o.protocol).toBe('incremental');
    expect(o.latencyMs).toBe(300);
    expect(o.snapshotN).toBeGreaterThan(0);
    expect(o.pythonSnapshotN).toBeGreaterThan(0); // every python run has its tracemalloc and object-graph worker
    expect(o.warmup).toBeUndefined(); // chosen per design
    expect(o.designModules).toEqual([]);
    // no --designs: every design, which the run plan resolves once the modules are loaded
    expect(o.designs).toBeUndefined();
    expect(parseBenchArgs(['--designs', 'all'])).toMatchObject({ designs: undefined });
  });


  it('prints one line and exits 2 for bad input, with no stack trace and no file written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcb-cli-'));
    writeFileSync(join(dir, 'latest.json'), '{"keep":true}');
    const r = runScript('bench/cli.ts', ['--maxsize', 'ten', '--out', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: --maxsize needs a number \(got "ten"\)/);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    expect(readFileSync(join(dir, 'latest.json'), 'utf8')).toBe('{"keep":true}');
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help prints usage and exits 0', () => {
    const r = runScript('bench/cli.ts', ['--help'], { tsx: true }); // exactly as `npm run bench -- --help`
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: npm run bench/);
    expect(r.stdout).toMatch(/--maxsize/);
  });
});

describe('the run plan: the design list, once the modules are loaded', () => {
  let set: DesignSet;
  const opts = (argv: string[]) => parseBenchArgs(argv) as BenchOptions;
  const check = (argv: string[]) => chooseDesigns(opts(argv), set);

  it('every built-in by default, full-client first', async () => {
    set = await loadDesigns();
    const ids = check([]).map((d) => d.id);
    expect(ids[0]).toBe('full-client');
    expect(ids).toEqual(expect.arrayContaining(['full-client', 'token-record', 'redis-handle', 'redis-handle-encrypted', 'memcached-handle', 'python-keystoneclient']));
    expect(check(['--designs', 'all']).map((d) => d.id)).toEqual(ids);
  });

  it('the memory guard counts the workers that run at once and their private stores', () => {
    // a size one token-record worker fits in (2/3 of the 70 % budget) but two at once do not
    const n = Math.floor((totalmem() * 0.7) / 2048 / 1.5);
    expect(check(['--designs', 'token-record', '--maxsize', String(n), '--jobs', '1']).map((d) => d.id)).toEqual(['token-record']);
    expect(() => check(['--designs', 'token-record', '--maxsize', String(n), '--jobs', '2']))
      .toThrowError(/is too large: token-record would need about .* in one worker .*, 2 such workers at once \(--jobs 2\): .*70 % of it usable/);
    // the same N for redis-handle alone: its private Redis (1 KB a key) does not fit beside the worker
    const m = Math.floor((totalmem() * 0.7) / 2048 / 1.2);
    expect(check(['--designs', 'token-record', '--maxsize', String(m), '--jobs', '1'])).toHaveLength(1);
    expect(() => check(['--designs', 'redis-handle', '--maxsize', String(m), '--jobs', '1'])).toThrowError(/in its private store \(1\.0 KB per key\)/);
    // a Redis the user runs is not this machine's to count; memcached-handle's private memcached still is
    expect(check(['--designs', 'redis-handle', '--maxsize', String(m), '--jobs', '1', '--redis-url', 'redis://127.0.0.1:6379'])).toHaveLength(1);
    const k = Math.floor((totalmem() * 0.7) / 512 / 1.2); // memcached-handle plans 512 B an entry
    expect(() => check(['--designs', 'memcached-handle', '--maxsize', String(k), '--jobs', '1', '--redis-url', 'redis://127.0.0.1:6379']))
      .toThrowError(/in its private store/);
    // one design, one trial: never two of its workers at once, whatever --jobs says
    expect(check(['--designs', 'token-record', '--maxsize', String(n), '--jobs', '2', '--trials', '1'])).toHaveLength(1);
  });

  it('the plan gives each design its sizes, warm-up and heap limit, and the trusts the run needs', () => {
    const p = planRun(opts(['--designs', 'token-record,full-client', '--maxsize', '2000', '--worker-max-old-space', 'full-client=64']), set);
    expect(p.designs.map((d) => [d.descriptor.id, d.sizes.at(-1), d.sizes.length, d.warmup, d.maxOldSpaceMb]))
      .toEqual([['token-record', 2000, 11, 500, undefined], ['full-client', 1000, 9, 500, 64]]);
    expect(p.trusts).toBe(2001);
    expect(p.listed).toEqual(['token-record', 'full-client']);
    expect(() => planRun(opts(['--designs', 'token-record', '--worker-max-old-space', 'full-client=16']), set))
      .toThrowError(/--worker-max-old-space names design "full-client", which is not in --designs/);
  });

  it('the ones named, in the order named', () => {
    expect(check(['--designs', 'token-record,full-client']).map((d) => d.id)).toEqual(['token-record', 'full-client']);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['unknown design', ['--designs', 'full-client,nope'], /unknown design "nope"; known: full-client, token-record/],
    ['the design removed in the restructuring', ['--designs', 'python-keystoneclient-authenticated'], /unknown design "python-keystoneclient-authenticated"/],
    ['absurd maxsize', ['--maxsize', '1000000000'], /--maxsize 1000000000 is too large: token-record would need about .* GB in one worker .*per entry.*this machine has .*GB/],
  ];
  it.each(bad)('%s → UsageError', (_name, argv, message) => {
    expect(() => check(argv)).toThrowError(UsageError);
    expect(() => check(argv)).toThrowError(message);
  });

  it('guards python designs at --python-maxsize, not --maxsize', () => {
    // 10^6 node token records fit; 10^6 python clients of ~64 KB would not, but they are measured at 2,000
    expect(() => check(['--designs', 'token-record,python-keystoneclient', '--maxsize', '1000000'])).not.toThrow();
  });
});

describe('bad input through the CLI\'s main: one line, exit 2, nothing written or overwritten', () => {
  const cases: Array<[string, string[], RegExp, NodeJS.ProcessEnv?]> = [
    ['--maxsize 0', ['--maxsize', '0'], /--maxsize must be at least 4/],
    ['--maxsize -5', ['--maxsize', '-5'], /--maxsize must be at least 4/],
    ['--maxsize 2.5', ['--maxsize', '2.5'], /whole number/],
    ['absurd --maxsize', ['--maxsize', '1000000000'], /too large: token-record would need about .* GB/],
    ['unknown design', ['--designs', 'nope'], /unknown design "nope"/],
    ['unknown flag', ['--frobnicate'], /Unknown option '--frobnicate'/],
    ['--trials 0', ['--trials', '0'], /--trials must be at least 1/],
    ['--password in argv', ['--password', 'hunter2'], /Unknown option '--password'/],
    ['--keystone-url without OS_USERNAME/OS_PASSWORD', ['--designs', 'token-record', '--keystone-url', 'http://127.0.0.1:1/v3'],
      /--keystone-url needs the trustee credentials in OS_USERNAME and OS_PASSWORD \(environment only\)/, { OS_USERNAME: '', OS_PASSWORD: '' }],
    ['--keystone-url with only OS_TRUST_ID (one trust) for a run that needs many', ['--designs', 'token-record', '--maxsize', '1200', '--keystone-url', 'http://127.0.0.1:1/v3'],
      /this run needs 1201 distinct trusts but only OS_TRUST_ID \(one trust\) is set.*set OS_TRUSTOR_USERNAME and OS_TRUSTOR_PASSWORD/,
      { OS_USERNAME: 'svc', OS_PASSWORD: 'pw', OS_TRUST_ID: '0123456789abcdef0123456789abcdef', OS_TRUSTOR_USERNAME: '', OS_TRUSTOR_PASSWORD: '', KEYSTONE_LOCAL_TRUSTOR_USERNAME: '', KEYSTONE_LOCAL_TRUSTOR_PASSWORD: '' }],
    ['--baseline that does not exist', ['--designs', 'token-record', '--baseline', '/nonexistent/earlier.json'], /cannot read results file \/nonexistent\/earlier\.json: no such file/],
    ['--design-module that does not exist', ['--design-module', '/nonexistent/mine.ts'], /design module \/nonexistent\/mine\.ts: no such file/],
    ['KCB_STANDIN_FAULT that makes no sense', ['--designs', 'token-record'], /KCB_STANDIN_FAULT must be/, { KCB_STANDIN_FAULT: 'sometimes' }],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'kcb-badcli-'));
  const outFile = join(dir, 'a-file');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // main() in this process, through the script's runMain: the same code path as the CLI, without a node + tsx
  // start-up per case; the real process is checked below for two of them (its exit code and its single line).
  let benchMain: (argv: string[]) => Promise<number>;
  beforeAll(async () => {
    ({ main: benchMain } = await import('../bench/cli.ts'));
    writeFileSync(join(dir, 'latest.json'), '{"keep":true}');
    writeFileSync(outFile, 'not a directory');
  });

  const all: Array<[string, string[], RegExp, NodeJS.ProcessEnv?]> = [
    ...cases.map(([n, a, m, e]) => [n, [...a, '--out', dir], m, e] as [string, string[], RegExp, NodeJS.ProcessEnv?]),
    ['--out is a file', ['--out', outFile], /--out .*a-file is a file, not a directory/],
  ];
  it.each(all)('%s', async (name, args, message, env) => {
    const r = await runInProcess(benchMain, args, env);
    expect(r.status, name).toBe(2);
    expect(r.stderr.trimEnd().split('\n'), name).toHaveLength(1);
    expect(r.stderr, name).toMatch(/^error: /);
    expect(r.stderr, name).toMatch(message);
    expect(r.stdout, name).toBe('');
    expect(readdirSync(dir).sort(), name).toEqual(['a-file', 'latest.json']);
    expect(readFileSync(join(dir, 'latest.json'), 'utf8'), name).toBe('{"keep":true}');
    expect(readFileSync(outFile, 'utf8'), name).toBe('not a directory');
  });

  it('the real CLI process too: a late usage error (after the designs are loaded) is one line and exit 2', async () => {
    const r = await startScript('bench/cli.ts', ['--designs', 'nope', '--out', dir]).done;
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: unknown design "nope"/);
    expect(r.stdout).toBe('');
  });
});
