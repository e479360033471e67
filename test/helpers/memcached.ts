// A private memcached on a unix socket (mode 0700, in a fresh 0700 temp dir), stopped by its pid.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startMemcached(): Promise<{ socketPath: string; pid: number; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'kcb-mc-'));
  const socketPath = join(dir, 'mc.sock');
  const args = ['-s', socketPath, '-a', '0700', '-m', '1024'];
  if (process.getuid?.() === 0) args.push('-u', 'root'); // memcached refuses to run as root without -u
  const p = spawn('memcached', args, { stdio: 'ignore' });
  for (let i = 0; i < 150 && !existsSync(socketPath) && p.exitCode === null; i++) await new Promise((r) => setTimeout(r, 20));
  const stop = () => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  if (!existsSync(socketPath)) {
    stop();
    throw new Error('memcached did not start');
  }
  return { socketPath, pid: p.pid!, stop };
}
