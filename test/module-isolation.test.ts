// A design module is imported only in a child process with limits (src/design-registry/load.ts): whatever it does at
// import — exit, never settle, loop — the harness stays in control and says so in one line, exit 2, nothing
// written; files that are not regular files are refused before anything imports them; signals still work.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DESCRIBE_TIMEOUT_MS } from '../src/design-registry/load.ts';
import { main } from '../bench/cli.ts';
import { runInProcess } from './helpers/in-process.ts';
import { childrenOf, killStrays, startScript, survivors, waitFor, watchChildren } from './helpers/procs.ts';
import { PROCESS_GUARD_MS } from './helpers/run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kcb-module-isolation-'));
const strays: number[] = [];
afterAll(() => {
  killStrays(strays); // only PIDs seen as children of this file's own runs
  rmSync(tmp, { recursive: true, force: true });
});

const OPEN = 'async open() { return { create: async (t) => t, token: async (e) => e, close: async () => {} }; }';
// a loop is stopped at the CPU-time limit (2 s here, KCB_DESCRIBE_CPU_S, instead of 8: the same code path, less
// CPU taken from the other tests); on a machine too busy to give it that much CPU within the wall-time limit, at that
const CPU_S = '2';
const STOPPED = `(still busy loading after ${CPU_S} s of CPU time|did not finish loading within ${DESCRIBE_TIMEOUT_MS / 1000} s) \\(stopped\\)`;
const mod = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

const cases: Array<[string, () => string, (file: string) => RegExp, string[]?]> = [
  ['process.exit(0) at import', () => mod('exits.ts', `process.exit(0);\nexport default { id: 'x', title: 'x', topology: 'per-worker', ${OPEN} };\n`),
    (f) => new RegExp(`^error: design module ${f}: ended the loading process \\(exit code 0\\) before describing itself$`)],
  ['a top-level await that never settles', () => mod('await.mts', `await new Promise(() => {});\nexport default { id: 'x', title: 'x', topology: 'per-worker', ${OPEN} };\n`),
    (f) => new RegExp(`^error: design module ${f}: its top-level await never settles$`)],
  ['for(;;){} at import (node)', () => mod('loops.ts', `for (;;) {}\nexport default { id: 'x', title: 'x', topology: 'per-worker', ${OPEN} };\n`),
    (f) => new RegExp(`^error: design module ${f}: ${STOPPED}$`)],
  ['a loop at import (python)', () => mod('loops.py', "ID = 'x'\nTITLE = 'x'\nTOPOLOGY = 'per-worker'\nwhile True:\n    pass\n"),
    (f) => new RegExp(`^error: design module ${f}: ${STOPPED}$`)],
  ['a FIFO', () => { const p = join(tmp, 'fifo.ts'); execFileSync('mkfifo', [p]); return p; },
    (f) => new RegExp(`^error: design module ${f}: is a FIFO, not a regular file$`)],
  ['a directory', () => { const p = join(tmp, 'dir.ts'); mkdirSync(p); return p; },
    (f) => new RegExp(`^error: design module ${f}: is a directory, not a regular file$`)],
  ['a symlink to /dev/zero', () => { const p = join(tmp, 'zero.py'); execFileSync('ln', ['-s', '/dev/zero', p]); return p; },
    (f) => new RegExp(`^error: design module ${f}: is a character device, not a regular file$`)],
  ['the id of a built-in that the run does not measure', () => mod('mine.ts', `export default { id: 'token-record', title: 'mine', topology: 'per-worker', ${OPEN} };\n`),
    (f) => new RegExp(`^error: design module ${f}: id "token-record" is already taken by .*src/designs/token-record\\.ts$`), ['--designs', 'full-client']],
];

describe('a design module that misbehaves at import, or is not a regular file', () => {
  it.concurrent.each(cases)('%s: exit 2, one line, nothing written', async (_what, make, message, extra = []) => {
    const file = make();
    const out = join(tmp, `out-${readdirSync(tmp).length}`);
    // --designs x: the built-ins are not described, so only the module's own child runs
    const run = startScript('bench/cli.ts', ['--design-module', file, ...(extra.length ? extra : ['--designs', 'x']), '--maxsize', '8', '--out', out], { env: { KCB_DESCRIBE_CPU_S: CPU_S } });
    const watch = watchChildren(run.pid, 50);
    const res = await run.done;
    watch.stop();
    strays.push(...watch.seen.keys());
    expect(res.signal).toBeNull();
    expect(res.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(message(file))]);
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(() => readdirSync(out)).toThrow(/ENOENT/);
    expect(await survivors([...watch.seen.keys()])).toEqual([]);
  });
});

describe('signals while a module loops at import', () => {
  it('SIGTERM ends the run at once (exit 143), with the describing child', async () => {
    const file = mod('loops-for-signal.ts', `for (;;) {}\nexport default { id: 'x', title: 'x', topology: 'per-worker', ${OPEN} };\n`);
    const run = startScript('bench/cli.ts', ['--design-module', file, '--designs', 'x', '--maxsize', '8', '--out', join(tmp, 'signal-out')]);
    let describing: number | undefined;
    await waitFor(() => {
      describing = childrenOf(run.pid).find((c) => /\/describe-\d+-\d+\.mjs /.test(c.cmdline) && c.cmdline.includes('loops-for-signal.ts'))?.pid;
      return describing !== undefined;
    }, PROCESS_GUARD_MS, 'the describing child');
    strays.push(describing!);
    process.kill(run.pid, 'SIGTERM');
    const res = await run.done;
    expect(res.signal).toBeNull();
    expect(res.status).toBe(143);
    expect(res.stderr).toMatch(/^SIGTERM: stopping/m);
    expect(res.stderr).toMatch(/^interrupted: no sample completed/m);
    expect(await survivors([describing!])).toEqual([]);
  });
});

describe('KCB_DESCRIBE_CPU_S', () => {
  it.each(['0', 'abc', '1e9'])('%j is a usage error: exit 2, one line naming it, nothing written', async (value) => {
    const out = join(tmp, `limit-${value}`);
    const r = await runInProcess(main, ['--designs', 'token-record', '--maxsize', '8', '--out', out], { KCB_DESCRIBE_CPU_S: value });
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^error: KCB_DESCRIBE_CPU_S must be a number of seconds in 0\.5\.\.600/)]);
    expect(() => readdirSync(out)).toThrow(/ENOENT/);
  });
});
