// Every reader of a results file (report, plan, model, compare, bench --baseline) goes through src/results/read.ts:
// values that no run can produce are refused naming the field, and a file that is not a regular file of a
// bounded size is refused before it is read. Charts are bounded in size whatever reaches them.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, ftruncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/cli/errors.ts';
import { MAX_RESULTS_BYTES, readResults } from '../src/results/read.ts';
import type { Results } from '../src/results/schema.ts';
import { MAX_CHART_PX, renderSvg, svgToPng } from '../src/report/render.ts';
import { syntheticResults } from './fixtures/synthetic-results.ts';
import { runScript } from './helpers/run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kcb-values-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const edited = (name: string, edit: (r: Results) => void, raw?: (json: string) => string) => {
  const r = syntheticResults();
  edit(r);
  const p = join(tmp, name);
  const json = JSON.stringify(r, null, 2);
  writeFileSync(p, raw ? raw(json) : json);
  return p;
};
const design = (r: Results, id: string) => r.designs.find((d) => d.id === id)!;

describe('values a run cannot produce', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['a negative headline figure', () => edited('negative.json', (r) => {
      const d = design(r, 'token-record');
      d.headline = { metric: 'rss', bytes: -421_580 };
    }), /designs\[1\]\.headline\.bytes: -421580 is not possible .*\(a size per entry above 0\)/],
    ['a slope marked resolved whose CI reaches far below 0', () => edited('wide-ci.json', (r) => {
      design(r, 'token-record').perObject.heapUsed!.ci95 = [-2e6, 425];
    }), /designs\[1\]\.perObject\.heapUsed: marked resolved, but its figure .* with 95 % CI \[-2000000, 425\] does not lie above 0/],
    ['a CI whose bounds are the wrong way round', () => edited('reversed.json', (r) => {
      design(r, 'full-client').perObject.rss!.ci95 = [50_000, 40_000];
    }), /designs\[0\]\.perObject\.rss\.ci95: \[50000, 40000\] has its lower bound above its upper bound/],
    ['a figure that overflows to Infinity', () => edited('infinite.json', () => {}, (json) => json.replace(/"bytesPerObject": [0-9.e+]+/, '"bytesPerObject": 1e400')),
      /reference: needs label and bytesPerObject/],
    ['a size per entry beyond 1 TiB', () => edited('huge.json', (r) => {
      const s = design(r, 'full-client').perObject.heapUsed!;
      s.bytes = 1e15;
      s.ci95 = [1e15 - 1, 1e15 + 1];
    }), /designs\[0\]\.perObject\.heapUsed\.bytes: 1000000000000000 is not possible \(needs a number from -1099511627776 to 1099511627776\)/],
    ['a negative snapshot figure', () => edited('snapshot.json', (r) => {
      const d = r.designs.find((x) => x.snapshot)!;
      d.snapshot!.retainedPerEntry = -5;
    }), /\.snapshot\.retainedPerEntry: -5 is not possible/],
    ['a design listed twice', () => edited('twice.json', (r) => {
      r.designs.push({ ...design(r, 'token-record') });
    }), /designs\[\d+\]\.id: "token-record" is listed twice/],
    ['a negative memory reading', () => edited('reading.json', (r) => {
      design(r, 'token-record').samples[2].rss = -1;
    }), /designs\[1\]\.samples\[2\]\.rss: -1 is not possible/],
    ['a negative size in meta', () => edited('sizes.json', (r) => {
      r.meta.sizes = [0, -10];
    }), /meta\.sizes\[1\]: -10 is not possible/],
  ];

  it.each(cases)('%s: refused with the field named', (_what, make, message) => {
    const p = make();
    expect(() => readResults(p)).toThrowError(UsageError);
    expect(() => readResults(p)).toThrowError(message);
  });

  it('the synthetic fixture and every published results file are accepted', () => {
    expect(() => readResults(edited('fine.json', () => {}))).not.toThrow();
    for (const p of ['results/latest.json', 'results/real-keystone/latest.json', 'results/scale-1m/latest.json']) expect(() => readResults(p), p).not.toThrow();
  });

  // each command that reads a file: exit 2, the one line, nothing printed on stdout
  it.each([
    ['plan', 'bench/plan.ts', (p: string) => ['--in', p]],
    ['model', 'bench/model.ts', (p: string) => ['--in', p]],
    ['compare', 'bench/compare.ts', (p: string) => [p, p]],
    ['report', 'bench/report.ts', (p: string) => ['--in', p, '--out', join(tmp, 'report-out')]],
    ['bench --baseline', 'bench/cli.ts', (p: string) => ['--baseline', p, '--designs', 'token-record', '--maxsize', '8', '--out', join(tmp, 'bench-out')]],
  ])('%s refuses a negative headline: exit 2, one line naming the field, nothing written', (_name, script, args) => {
    const p = cases[0][1]();
    const res = runScript(script, args(p));
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^error: .*negative\.json is not a keystone-cache-bench results file \(designs\[1\]\.headline\.bytes: -421580/)]);
    expect(readdirSync(tmp)).not.toContain('report-out');
    expect(readdirSync(tmp)).not.toContain('bench-out');
  });
});

describe('files that are not regular files of a bounded size', () => {
  it.each([
    ['/dev/zero', () => '/dev/zero', /is a character device, not a regular file/],
    ['a symlink to /dev/zero', () => { const p = join(tmp, 'zero.json'); execFileSync('ln', ['-sf', '/dev/zero', p]); return p; }, /is a character device, not a regular file/],
    ['a FIFO with no writer', () => { const p = join(tmp, 'fifo.json'); execFileSync('mkfifo', [p]); return p; }, /is a FIFO, not a regular file/],
    ['a directory', () => { const p = join(tmp, 'dir.json'); mkdirSync(p); return p; }, /is a directory, not a regular file/],
    ['a file larger than the limit (sparse: nothing is read)', () => {
      const p = join(tmp, 'big.json');
      const fd = openSync(p, 'w');
      ftruncateSync(fd, MAX_RESULTS_BYTES + 1);
      closeSync(fd);
      return p;
    }, /64\.0 MB is more than a results file can be \(64 MB\)/],
  ])('%s is refused before reading', (_what, make, message) => {
    const p = make();
    expect(() => readResults(p)).toThrowError(UsageError);
    expect(() => readResults(p)).toThrowError(message);
  });

  it('report --in /dev/zero: exit 2, one line', () => {
    const res = runScript('bench/report.ts', ['--in', '/dev/zero', '--out', join(tmp, 'zero-out')]);
    expect(res.status).toBe(2);
    expect(res.stderr.trimEnd()).toBe('error: cannot read results file /dev/zero: is a character device, not a regular file');
  });
});

describe('chart size', () => {
  it(`a chart wider than ${MAX_CHART_PX} px is refused before any PNG is rendered`, async () => {
    const spec = { data: { values: [{ x: 1, y: 1 }] }, mark: 'point', width: 100_000, height: 100, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } } as const;
    await expect(renderSvg(spec)).rejects.toThrowError(/a chart came out \d+ × \d+ px, outside 1\.\.8192 px a side: not rendered/);
    expect(() => svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="1090008" height="463"></svg>')).toThrowError(/1090008 × 463 px/);
    const small = await renderSvg({ ...spec, width: 200 });
    expect(svgToPng(small).subarray(1, 4).toString()).toBe('PNG');
  });
});
