// Where a run may write (src/cli/out-dir.ts, src/cli/out-lock.ts): never over files the harness did not write (an
// empty --out is the repository's root under npm), never two runs into one directory, never a results name that
// the next run deletes as its stale partial file.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../src/cli/args.ts';
import { UsageError } from '../src/cli/errors.ts';
import { LOCK_FILE } from '../src/cli/out-lock.ts';
import { syntheticResults } from './fixtures/synthetic-results.ts';
import { startScript, waitFor } from './helpers/procs.ts';
import { ROOT, runScript, PROCESS_GUARD_MS } from './helpers/run-cli.ts';
import { runInProcess } from './helpers/in-process.ts';
import { reportMain } from '../src/commands/report.ts';
import { main as benchMain } from '../bench/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kcb-out-dir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const fixture = join(tmp, 'fixture.json');
writeFileSync(fixture, JSON.stringify(syntheticResults(), null, 2));
const repoReadme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SMALL = ['--designs', 'token-record', '--maxsize', '20', '--steps', '3', '--trials', '1', '--min-trials', '1', '--snapshot-n', '0', '--no-latency', '--no-report', '--quiet'];

describe('an --out that is not a results directory of the harness', () => {
  it.each([
    ['empty', '', /^--out is empty \(an unset shell variable\?\)/],
    ['blank', '  ', /^--out is empty/],
    ['the repository root', '.', /^--out \. holds package\.json: it is a project's directory, not a results directory/],
    ['the repository root, absolute', ROOT, /holds package\.json/],
  ])('bench refuses %s', (_what, out, message) => {
    expect(() => parseBenchArgs(['--out', out])).toThrowError(UsageError);
    expect(() => parseBenchArgs(['--out', out])).toThrowError(message);
  });

  it('report refuses an empty --out with one line, exit 2, and leaves the repository\'s README alone', () => {
    const res = runScript('bench/report.ts', ['--in', fixture, '--out', '']);
    expect(res.status).toBe(2);
    expect(res.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^error: --out is empty/)]);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toBe(repoReadme);
    expect(existsSync(join(ROOT, 'index.html'))).toBe(false);
  });

  it('refuses a directory with a .git, and one with a README.md of its own; both keep their files', async () => {
    const project = join(tmp, 'project');
    mkdirSync(join(project, '.git'), { recursive: true });
    const docs = join(tmp, 'docs');
    mkdirSync(docs);
    writeFileSync(join(docs, 'README.md'), '# my notes\n');
    writeFileSync(join(docs, 'other.json'), '{"schema": 2, "meta": {"tool": "something else"}}');
    expect(() => parseBenchArgs(['--out', project])).toThrowError(/holds \.git: it is a project's directory/);
    const res = await runInProcess(reportMain, ['--in', fixture, '--out', docs]);
    expect(res.status).toBe(2);
    expect(res.stderr.trimEnd()).toMatch(/^error: --out .*docs holds a README\.md that keystone-cache-bench did not write; choose an empty or new directory$/);
    expect(readdirSync(docs).sort()).toEqual(['README.md', 'other.json']);
    expect(readFileSync(join(docs, 'README.md'), 'utf8')).toBe('# my notes\n');
  });

  it('writes again where it wrote before: its marker, or a results JSON of its own (results/ of older versions)', async () => {
    const out = join(tmp, 'report-twice');
    for (let i = 0; i < 2; i++) {
      // the first as a user runs it, the second in-process (same runMain): the second finds the first's files
      const res = i === 0 ? runScript('bench/report.ts', ['--in', fixture, '--out', out]) : await runInProcess(reportMain, ['--in', fixture, '--out', out]);
      expect(res.stderr, `run ${i + 1}`).toBe('');
      expect(res.status, `run ${i + 1}`).toBe(0);
    }
    expect(readdirSync(out)).toContain('README.md');
    expect(readdirSync(out)).not.toContain(LOCK_FILE);
    const older = join(tmp, 'older');
    mkdirSync(older);
    writeFileSync(join(older, 'README.md'), '# Per-object memory of Keystone-client cache designs\n');
    writeFileSync(join(older, 'latest.json'), readFileSync(fixture));
    expect(parseBenchArgs(['--out', older])).toMatchObject({ out: older });
    expect(parseBenchArgs(['--out', join(ROOT, 'results')])).toMatchObject({ out: join(ROOT, 'results') });
  });
});

describe('two runs into one --out', () => {
  it('the second is refused (exit 2, naming the first one\'s PID) while the first runs; the lock goes with the first', async () => {
    const out = join(tmp, 'shared');
    // the first run waits on a Keystone that never answers (test hook) until it is stopped: it holds --out meanwhile
    const first = startScript('bench/cli.ts', [...SMALL, '--keystone-timeout', '600', '--out', out], { env: { KCB_STANDIN_FAULT: 'hang' } });
    await waitFor(() => existsSync(join(out, LOCK_FILE)), PROCESS_GUARD_MS, 'the first run to take the lock');
    // refused before anything starts: in-process, through the same runMain
    const second = await runInProcess(benchMain, [...SMALL, '--out', out]);
    expect(second.status).toBe(2);
    expect(second.stdout).toBe('');
    expect(second.stderr.trimEnd().split('\n')).toEqual([`error: --out ${out} is in use by another run (PID ${first.pid}); wait for it to end or choose another --out`]);
    process.kill(first.pid, 'SIGTERM');
    expect((await first.done).status).toBe(143);
    // nothing was measured: the directory the first run created is gone again, lock and all
    expect(existsSync(out)).toBe(false);
    const third = runScript('bench/cli.ts', [...SMALL, '--out', out]);
    expect(third.stderr).toBe('');
    expect(third.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.keystone-cache-bench', 'latest.json', 'samples.csv', 'summary.md']);
  });

  it('a lock left by a run that is gone (kill -9) is taken over', async () => {
    const out = join(tmp, 'stale');
    mkdirSync(out);
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('exit', r));
    writeFileSync(join(out, LOCK_FILE), `${gone.pid}\n`);
    const res = runScript('bench/cli.ts', [...SMALL, '--out', out]);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(readdirSync(out)).not.toContain(LOCK_FILE);
    expect(readdirSync(out)).toContain('latest.json');
  });
});

describe('--name', () => {
  it('refuses a name ending in .partial: the next run named without it would delete those results as its stale partial file', () => {
    expect(() => parseBenchArgs(['--name', 'latest.partial', '--out', join(tmp, 'n')])).toThrowError(
      /^--name must not end in "\.partial" \(latest\.partial\.json is where an interrupted run named latest keeps its samples\)$/);
  });
});
