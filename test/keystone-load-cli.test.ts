// npm run keystone-load against the stand-in: the capacity curve and the replay run, every figure is labelled the
// stand-in's (never Keystone's) and carries no CPU figure, no token, password or trust id reaches any output, and
// no process it started outlives it. Bad input: one line, exit 2, nothing written.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from './helpers/run-cli.ts';
import { filesUnder, leaks, readDump } from './helpers/secrets.ts';
import { syntheticResultsMinimal } from './fixtures/synthetic-results.ts';
import { writeReport } from '../src/report/index.ts';
import { keystoneLoadMain } from '../src/commands/keystone-load.ts';
import { runInProcess } from './helpers/in-process.ts';

const SCRIPT = 'bench/keystone-load.ts';
const tmp = mkdtempSync(join(tmpdir(), 'kcb-kl-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Processes whose environment carries the marker: started by the run under test, whoever their parent is now. */
function marked(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').includes(`KCB_TEST_MARK=${marker}`)) out.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

describe('keystone-load against the stand-in', () => {
  it('measures capacity curves and replays, labelled the stand-in\'s, with no secret in any output and no process left', async () => {
    const out = join(tmp, 'run');
    const dump = join(tmp, 'dump.json');
    const marker = randomUUID();
    const r = runScript(SCRIPT, ['--stand-in', '--out', out, '--level-s', '0.3', '--max-concurrency', '4', '--replay-s', '3',
      '--replay-designs', 'token-record', '--json'], { env: { KCB_TEST_DUMP_TOKENS: dump, KCB_TEST_MARK: marker } });
    expect(r.stderr).not.toMatch(/fault|Error/);
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'))).toEqual(res);
    expect(res.meta.keystone.kind).toBe('stand-in');
    expect(res.meta.keystone.label).toMatch(/stand-in \(not Keystone/);
    expect(res.meta.keystone.cpuMeasurable).toBe(false);
    expect(res.operations.map((o: any) => o.id)).toEqual(['token-trust', 'token-trust-nocatalog', 'validate']);
    for (const o of res.operations) {
      expect(o.cpuMsPerOp).toBeNull();
      expect(o.curve.map((p: any) => p.concurrency)).toEqual(o.curve.map((_: any, i: number) => 2 ** i));
      for (const p of o.curve) {
        expect(p.perS).toBeGreaterThan(0);
        expect(p.p99Ms).toBeGreaterThanOrEqual(p.p50Ms);
        expect(p.errors).toBe(0);
      }
      expect(o.capacityPerS).toBe(Math.max(...o.curve.map((p: any) => p.perS)));
    }
    expect(res.replay.map((x: any) => x.design)).toEqual(['no-cache', 'token-record']);
    for (const x of res.replay) {
      for (const k of ['scale', 'demandPerS', 'servedPerS', 'p50Ms', 'p99Ms', 'errors', 'backlog', 'predicted']) expect(typeof x[k]).toBe('number');
      expect(['overloaded', 'within capacity']).toContain(x.verdict);
    }
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('The stand-in, not Keystone');
    expect(md).not.toMatch(/Keystone cores per cache design\*\*/); // no CPU figure: no cores table from the stand-in
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(existsSync(join(out, 'charts', 'keystone-capacity.png'))).toBe(true);
    expect(leaks([['stdout', r.stdout], ['stderr', r.stderr], ...filesUnder(out)], readDump(dump))).toEqual([]);
    expect(marked(marker)).toEqual([]);

    // published beside a bench's results, they become the bench report's "What tokens cost Keystone" section
    const bench = join(tmp, 'bench');
    cpSync(out, join(bench, 'keystone-load'), { recursive: true });
    await writeReport(syntheticResultsMinimal(), bench);
    for (const f of ['summary.md', 'README.md']) {
      const text = readFileSync(join(bench, f), 'utf8');
      expect(text).toContain('## What tokens cost Keystone');
      expect(text).toContain('The stand-in, not Keystone');
    }
    expect(readFileSync(join(bench, 'index.html'), 'utf8')).toContain('<section id="keystone-cost">');
    expect(existsSync(join(bench, 'charts', 'keystone-capacity.svg'))).toBe(true);
  });
});

describe('keystone-load: bad input', () => {
  const cases: Array<[string, string[], RegExp, NodeJS.ProcessEnv?]> = [
    ['a zero level', ['--level-s', '0'], /--level-s must be > 0/],
    ['an unknown operation', ['--operations', 'token-trust,bogus'], /--operations must be some of/],
    ['validate alone', ['--operations', 'validate'], /needs a token operation/],
    ['both targets', ['--stand-in', '--keystone-url', 'http://127.0.0.1:1/v3'], /choose one/],
    ['an unknown flag', ['--password', 'x'], /Unknown option/],
    ['no local Keystone', [], /no --keystone-url and no local Keystone running/, { KEYSTONE_LOCAL_DIR: '/nonexistent-kcb' }],
    ['a URL with credentials', ['--keystone-url', 'http://u:p@127.0.0.1:1/v3'], /must not carry credentials|OS_USERNAME/, { OS_USERNAME: 'a', OS_PASSWORD: 'b' }],
    ['an unreachable Keystone', ['--keystone-url', 'http://127.0.0.1:9/v3'], /cannot reach Keystone/, { OS_USERNAME: 'a', OS_PASSWORD: 'b', OS_TRUSTOR_USERNAME: 'c', OS_TRUSTOR_PASSWORD: 'd' }],
  ];
  for (const [what, args, message, env] of cases) {
    it(`${what}: one line, exit 2, nothing written`, async () => {
      const out = join(tmp, `bad-${what.replace(/\W+/g, '-')}`);
      // one as a user starts it (a node process through tsx); the others in-process, through the same runMain
      const r = what === 'an unknown flag'
        ? runScript(SCRIPT, ['--out', out, ...args], { env })
        : await runInProcess(keystoneLoadMain, ['--out', out, ...args], env);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('plan --keystone with a missing file: exit 2', () => {
    const r = runScript('bench/plan.ts', ['--keystone', join(tmp, 'none.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: .*no such file/);
  });
});
