import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticResults } from './fixtures/synthetic-results.ts';
import { reportMain } from '../src/commands/report.ts';
import { runInProcess } from './helpers/in-process.ts';
import { scriptArgs, PROCESS_GUARD_MS } from './helpers/run-cli.ts';

const ROOT = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'kcb-report-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** As a user runs it: a node process of its own. */
function report(...args: string[]) {
  return spawnSync(process.execPath, [...scriptArgs('bench/report.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: PROCESS_GUARD_MS });
}

/** In this process, through the same runMain: for the refusals, which stop before anything is started or written. */
const reportIn = (...args: string[]) => runInProcess(reportMain, args);

/** Every file under dir with its content, to prove a failed run touched nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    if (statSync(p).isFile()) out[name] = readFileSync(p, 'latin1');
  }
  return out;
}

describe('npm run report', () => {
  it('renders every file from a results JSON', () => {
    const json = join(tmp, 'fixture.json');
    writeFileSync(json, JSON.stringify(syntheticResults({ unavailable: true })));
    const out = join(tmp, 'out');
    const res = report('--in', json, '--out', out);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const files = ['index.html', 'README.md', 'summary.md', 'samples.csv'];
    for (const c of ['per-object', 'bytes-by-owner', 'rss-split', 'memory-vs-n', 'projection', 'token-model', 'latency']) files.push(`charts/${c}.svg`, `charts/${c}.png`);
    for (const f of files) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(res.stdout).toContain(join(out, f));
    }
    expect(readFileSync(join(out, 'charts/per-object.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('](charts/per-object.png)');
    // no temp files left behind by the atomic writes
    expect(readdirSync(out).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  const bad: Array<[string, (dir: string) => string, RegExp]> = [
    ['a missing file', (d) => join(d, 'absent.json'), /cannot read results file .*absent\.json: no such file/],
    ['corrupt JSON', (d) => { const p = join(d, 'corrupt.json'); writeFileSync(p, '{"schema": 1, "meta": {'); return p; }, /corrupt\.json is not valid JSON/],
    ['another schema', (d) => { const p = join(d, 'v3.json'); writeFileSync(p, JSON.stringify({ ...syntheticResults(), schema: 3 })); return p; }, /v3\.json has results schema 3; this version reads schema 2/],
    ['a shape that is not Results', (d) => { const p = join(d, 'shape.json'); writeFileSync(p, JSON.stringify({ schema: 1, meta: {} })); return p; }, /shape\.json is not a keystone-cache-bench results file \(meta\.node/],
  ];
  for (const [what, make, message] of bad) {
    it(`exits 2 with one line and writes nothing for ${what}`, async () => {
      const dir = mkdtempSync(join(tmp, 'bad-'));
      const out = join(dir, 'out');
      mkdirSync(join(out, 'charts'), { recursive: true });
      writeFileSync(join(out, '.keystone-cache-bench'), ''); // the previous report's: the harness wrote here
      writeFileSync(join(out, 'index.html'), 'previous report');
      writeFileSync(join(out, 'charts', 'per-object.png'), 'previous png');
      const before = snapshot(out);
      const res = await reportIn('--in', make(dir), '--out', out);
      expect(res.status).toBe(2);
      const lines = res.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(message);
      expect(snapshot(out)).toEqual(before);
    });
  }

  it.each([
    ['a file', '/etc/passwd', /--out \/etc\/passwd is a file, not a directory/],
    ['a kernel file system (where a recursive mkdir never returns)', '/proc/x', /--out \/proc\/x is inside a kernel file system/],
  ])('exits 2 with one line for an --out that is %s', async (_what, out, message) => {
    const json = join(tmp, 'for-out.json');
    writeFileSync(json, JSON.stringify(syntheticResults()));
    const res = await reportIn('--in', json, '--out', out);
    expect(res.status).toBe(2);
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
  });

  it('rejects an unknown flag with exit 2 and prints help with --help', () => {
    const bad = report('--inn', 'x.json');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^error: Unknown option '--inn'/);
    const help = report('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--in FILE');
    expect(help.stdout).toContain('results/latest.json');
  });
});
