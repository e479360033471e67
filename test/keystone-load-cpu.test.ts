// CPU accounting by PID tree (src/keystone-load/proc-cpu.ts): a process tree that burns a known amount of CPU
// (its own processes count it with process.cpuUsage) must be counted within 5 %, including the CPU of a child
// that exited and was reaped during the measurement. Counts CPU time; never times anything.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { processTree, treeCpu } from '../src/keystone-load/proc-cpu.ts';

const BURNER = fileURLToPath(new URL('./fixtures/cpu-burner.mjs', import.meta.url));
const BURN_MS = 400;

describe('CPU time of a process tree from /proc', () => {
  it('counts a tree that burns 3 × 400 ms of CPU within 5 %, a reaped child included', async () => {
    const root = spawn(process.execPath, [BURNER], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, BURN_MS: String(BURN_MS) } });
    try {
      const out = createInterface({ input: root.stdout! });
      const next = () => new Promise<string>((resolve) => out.once('line', resolve));
      const ready = await next();
      const kids = ready.split(' ').slice(1).map(Number);
      expect(processTree(root.pid!).sort()).toEqual([root.pid!, ...kids].sort());
      const before = treeCpu(root.pid!);
      const done = next();
      root.stdin!.write('go\n');
      expect(await done).toBe('done');
      const after = treeCpu(root.pid!);
      // the exited child is no longer in the tree: its time is in the root's cutime/cstime
      expect(after.pids).not.toContain(kids[1]);
      const counted = after.ms - before.ms;
      expect(Math.abs(counted - 3 * BURN_MS) / (3 * BURN_MS)).toBeLessThan(0.05);
    } finally {
      root.stdin!.end();
      await new Promise((resolve) => (root.exitCode !== null ? resolve(null) : root.once('exit', resolve)));
    }
  });

  it('refuses to count a process that is not running', () => {
    expect(() => treeCpu(2 ** 22 + 12345)).toThrow(/not running/);
  });
});
