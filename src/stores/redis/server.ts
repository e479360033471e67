// A private redis-server for one sample: no TCP port, a unix socket with mode 0700 in a private temp dir, no
// persistence. A fresh server per sample keeps its RSS honest (jemalloc does not give memory back after FLUSHALL).
// The caller must stop() it on every exit path; processes.ts kills it by PID if the harness dies first.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownProcess } from '../../util/owned-process.ts';
import { diesWithHarness } from '../../util/parent-death.ts';

export interface RedisServer {
  pid: number;
  socketPath: string;
  dir: string;
  version: string;
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {}

export async function startRedisServer(opts: { binary?: string; readyTimeoutMs?: number } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kcb-redis-')); // mkdtemp creates it 0700
  const socketPath = join(dir, 'redis.sock');
  const args = ['--port', '0', '--unixsocket', socketPath, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--loglevel', 'notice', '--daemonize', 'no'];
  let child: ChildProcess;
  try {
    child = spawn(...diesWithHarness(opts.binary ?? 'redis-server', args), { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new RedisUnavailableError(`cannot start redis-server: ${(err as Error).message}`);
  }
  const { stop } = ownProcess(child, dir);
  let log = '';
  try {
    const version = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RedisUnavailableError(`redis-server did not become ready within ${opts.readyTimeoutMs ?? 5000} ms: ${log.trim().split('\n').pop() ?? ''}`)), opts.readyTimeoutMs ?? 5000);
      const onData = (d: Buffer) => {
        log += d.toString();
        if (log.includes('ready to accept connections')) {
          clearTimeout(timer);
          resolve(/Redis version=([\d.]+)/.exec(log)?.[1] ?? /v=([\d.]+)/.exec(log)?.[1] ?? 'unknown');
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new RedisUnavailableError(err.code === 'ENOENT'
          ? 'redis-server is not installed (apt-get install -y redis-server, or pass --redis-url)'
          : `cannot start redis-server: ${err.message}`));
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new RedisUnavailableError(`redis-server exited (${code}): ${log.trim().split('\n').pop() ?? ''}`)); });
    });
    child.stdout!.resume();
    child.stderr!.resume();
    return { pid: child.pid!, socketPath, dir, version, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
