// A private memcached for one sample: no TCP or UDP port (`-s` disables network support on 1.6.18), a unix socket
// with mode 0700 in a private 0700 temp dir, tracked by PID like the redis-server. memcached prints nothing when it
// is ready, so readiness is "the socket answers `version`". The caller must stop() it on every exit path;
// processes.ts kills it by PID if the harness dies first.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownProcess } from '../../util/owned-process.ts';
import { diesWithHarness } from '../../util/parent-death.ts';

export interface MemcachedServer {
  pid: number;
  socketPath: string;
  dir: string;
  /** e.g. 1.6.18, from the server's own `version` answer */
  version: string;
  stop(): Promise<void>;
}

export interface MemcachedServerOptions {
  binary?: string;
  readyTimeoutMs?: number;
  /**
   * Item memory, MB (-m). memcached allocates slab pages lazily, so a large limit costs nothing until used; the
   * default fits 1 M values of this harness's size (~600 B with item header and slab rounding) without eviction.
   */
  memoryMB?: number;
  /** worker threads (-t), memcached's default 4 */
  threads?: number;
}

export class MemcachedUnavailableError extends Error {}

/** One text-protocol `version` over the socket: resolves to the version or rejects (not there yet, or not memcached). */
export function askVersion(socketPath: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buf = '';
    const done = (err: Error | null, v?: string) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(v!);
    };
    const timer = setTimeout(() => done(new Error(`no answer to version within ${timeoutMs} ms`)), timeoutMs);
    sock.on('connect', () => sock.write('version\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const m = /^VERSION (\S+)\r\n/.exec(buf);
      if (m) done(null, m[1]);
      else if (buf.includes('\r\n')) done(new Error(`unexpected answer to version: ${buf.trim().slice(0, 80)}`));
    });
    sock.on('error', (err) => done(err));
  });
}

export function memcachedArgs(socketPath: string, opts: MemcachedServerOptions = {}): string[] {
  return [
    '-s', socketPath, // unix socket only: no TCP, no UDP listener
    '-a', '0700',
    '-U', '0',
    '-m', String(opts.memoryMB ?? 4096),
    '-t', String(opts.threads ?? 4),
    '-c', '1024',
    // memcached refuses to run as root without -u; as root it stays root (the socket dir is root's 0700 dir)
    ...(process.getuid?.() === 0 ? ['-u', 'root'] : []),
  ];
}

export async function startMemcachedServer(opts: MemcachedServerOptions = {}): Promise<MemcachedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kcb-memcached-')); // mkdtemp creates it 0700
  const socketPath = join(dir, 'memcached.sock');
  const readyTimeoutMs = opts.readyTimeoutMs ?? 5000;
  let child: ChildProcess;
  try {
    child = spawn(...diesWithHarness(opts.binary ?? 'memcached', memcachedArgs(socketPath, opts)), { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new MemcachedUnavailableError(`cannot start memcached: ${(err as Error).message}`);
  }
  const owned = ownProcess(child, dir);
  const stop = owned.stop;
  let log = '';
  const collect = (d: Buffer) => { if (log.length < 8192) log += d.toString(); };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const lastLine = () => log.trim().split('\n').pop() ?? '';
  try {
    const until = Date.now() + readyTimeoutMs;
    let version: string | undefined;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      const spawnError = owned.spawnError();
      if (spawnError) {
        throw new MemcachedUnavailableError(spawnError.code === 'ENOENT'
          ? 'memcached is not installed (apt-get install -y memcached, or pass --memcached-servers)'
          : `cannot start memcached: ${spawnError.message}`);
      }
      if (owned.exited()) throw new MemcachedUnavailableError(`memcached exited (${owned.exitCode()}): ${lastLine()}`);
      try {
        version = await askVersion(socketPath, Math.max(50, Math.min(500, until - Date.now())));
        break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > until) throw new MemcachedUnavailableError(`memcached did not become ready within ${readyTimeoutMs} ms: ${lastLine()}`);
      await new Promise((r) => setTimeout(r, wait));
    }
    return { pid: child.pid!, socketPath, dir, version, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
