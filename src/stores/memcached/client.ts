// memcached with bounded waits everywhere: a dead server fails a call in milliseconds, a frozen one within the
// timeout, never a hang. get/set/delete go through memjs (binary protocol), one connection per server, keys spread
// over the servers client-side by a ketama ring (consistent hashing: removing a server moves only its keys), as
// deployments' clients do with `memcache_servers = a,b,c`. stats, version, metadump and bulk deletes speak the text
// protocol over a raw socket to one server at a time.
//
// Servers are unix socket paths ("/run/memcached.sock") or "host:port" ("[::1]:11211"; port 11211 by default).
// memjs has no unix socket syntax; it is given the path as its "port", which net.connect() takes for a path.
import { createHash } from 'node:crypto';
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import memjs from 'memjs';
import { bounded } from '../bounded.ts';

export interface MemcachedLocation {
  /** unix socket of the private server */
  socketPath?: string;
  /** an existing pool: unix socket paths or host:port, hashed client-side */
  servers?: string[];
  /** prefix of every key a design writes */
  keyPrefix?: string;
}

export interface ClientOptions {
  /** per request, ms (default 3000) */
  timeoutMs?: number;
  /**
   * memjs's failover: a server that fails a request is skipped for `failoverTimeS` and its keys go to the next
   * server in the list (the survivor answers a miss, the caller re-authenticates). Off: its keys fail fast.
   */
  failover?: boolean;
  failoverTimeS?: number;
}

export interface MemcachedClient {
  /** the pool, as given */
  servers: string[];
  /** the server a key hashes to (before any failover) */
  serverFor(key: string): string;
  get(key: string): Promise<string | null>;
  /** ttlS ≥ 1 (memcached reads 0 as "never expires", so it is clamped to 1) */
  set(key: string, value: string, ttlS: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  close(): void;
}

/** A memcached call, bounded (src/stores/bounded.ts). */
const boundedMc = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => bounded('memcached', p, ms, what);

/** The pool a location names: the private socket, or the user's servers. */
export function serversOf(loc: MemcachedLocation): string[] {
  const list = loc.socketPath ? [loc.socketPath] : (loc.servers ?? []);
  if (!list.length) throw new Error('memcached location names no server (socketPath or servers)');
  return list;
}

const isSocketPath = (server: string) => server.startsWith('/');

/** "host:port", "[v6]:port", "host" → connect options; "/path" → a unix socket. */
export function addressOf(server: string): { path: string } | { host: string; port: number } {
  if (isSocketPath(server)) return { path: server };
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? /^([^:]+)(?::(\d+))?$/.exec(server);
  if (!m) throw new Error(`not a memcached server address: ${server}`);
  return { host: m[1], port: m[2] ? Number(m[2]) : 11211 };
}

const md5 = (s: string) => createHash('md5').update(s).digest();

/** A ketama continuum (libmemcached's layout: 40 MD5 digests of "server-i" per server, 4 points each). */
export function ketama(servers: string[]): (key: string) => number {
  if (servers.length === 1) return () => 0;
  const points: Array<[number, number]> = [];
  servers.forEach((s, index) => {
    for (let i = 0; i < 40; i++) {
      const d = md5(`${s}-${i}`);
      for (let k = 0; k < 4; k++) points.push([d.readUInt32LE(k * 4), index]);
    }
  });
  points.sort((a, b) => a[0] - b[0]);
  const hashes = Uint32Array.from(points, (p) => p[0]);
  const owners = Uint16Array.from(points, (p) => p[1]);
  return (key) => {
    const h = md5(key).readUInt32LE(0);
    let lo = 0;
    let hi = hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return owners[lo === hashes.length ? 0 : lo];
  };
}

const silent = { log() {} };

/** memjs's server internals that failPendingOnClose() touches (memjs 1.3.2, lib/memjs/server.js). */
interface MemjsServerInternals {
  _socket?: Socket;
  errorCallbacks: Record<string, unknown>;
  sock(sasl: boolean, go: (s: Socket) => void): void;
  error(err: Error): void;
}

/**
 * memjs fails a server's waiting requests on a socket error or timeout, but not when the connection just closes:
 * a server that died between two requests (its EOF read after the next request was written) would leave that
 * request waiting for the whole timeout. Fail them when the socket closes, as an error of that server, so the
 * call fails at once (or, with failover, goes on to the next server).
 */
function failPendingOnClose(srv: InstanceType<typeof memjs.Server>): void {
  const server = srv as unknown as MemjsServerInternals;
  const sock = server.sock.bind(server);
  server.sock = (sasl, go) => {
    const fresh = server._socket === undefined;
    sock(sasl, go);
    const s = server._socket;
    if (!fresh || !s) return;
    s.once('close', () => {
      if ((server._socket === undefined || server._socket === s) && Object.keys(server.errorCallbacks).length) {
        server.error(new Error('connection closed'));
      }
    });
  };
}

/**
 * A client for the pool; every server is asked `version` first (bounded), so a missing or frozen server fails here,
 * not at the first GET.
 */
export async function connectMemcached(loc: MemcachedLocation, opts: ClientOptions = {}): Promise<MemcachedClient> {
  const servers = serversOf(loc);
  const ms = opts.timeoutMs ?? 3000;
  await Promise.all(servers.map((s) => version(s, ms)));
  const options = {
    timeout: ms / 1000,
    conntimeout: ms / 1000,
    retries: 1, // memjs counts the first attempt: no retry on the same server
    retry_delay: 0,
    failover: opts.failover ?? false,
    failoverTime: opts.failoverTimeS ?? 60,
    logger: silent,
  };
  const memServers = servers.map((s) => {
    const a = addressOf(s);
    const srv = 'path' in a ? new memjs.Server(undefined, a.path, undefined, undefined, options) : new memjs.Server(a.host, a.port, undefined, undefined, options);
    // memjs falls back to MEMCACHIER_*/MEMCACHE_* credentials from the environment: never send those anywhere
    srv.username = undefined;
    srv.password = undefined;
    failPendingOnClose(srv);
    return srv;
  });
  const client = new memjs.Client(memServers, options);
  const ring = ketama(servers);
  client.getServer = ring;
  // with failover a call may time out on the key's server, then be tried on the next one
  const bound = options.failover ? 2 * ms + 50 : ms + 50;
  return {
    servers,
    serverFor: (key) => servers[ring(key)],
    async get(key) {
      const r = await boundedMc(client.get(key), bound, 'GET');
      return r.value === null ? null : r.value.toString('utf8');
    },
    async set(key, value, ttlS) {
      const expires = Math.max(1, Math.floor(ttlS));
      if (expires > 30 * 24 * 3600) throw new Error('memcached TTLs over 30 days are read as absolute times');
      await boundedMc(client.set(key, value, { expires }), bound, 'SET');
    },
    delete: (key) => boundedMc(client.delete(key), bound, 'DELETE'),
    close: () => client.close(),
  };
}

/** One text-protocol command whose answer ends with END (stats), as lines; an error line fails it. */
async function untilEnd(server: string, command: string, idleMs: number): Promise<string[]> {
  const lines: string[] = [];
  await streamLines(server, [command], (line) => {
    if (line === 'END') return true;
    if (/^(ERROR|CLIENT_ERROR|SERVER_ERROR)/.test(line)) throw new Error(`memcached ${server} answered ${command} with: ${line.slice(0, 80)}`);
    lines.push(line);
    return false;
  }, idleMs);
  return lines;
}

/** The server's version, e.g. "1.6.18". */
export async function version(server: string, timeoutMs = 3000): Promise<string> {
  let a = '';
  await streamLines(server, ['version'], (line) => ((a = line), true), timeoutMs);
  const m = /^VERSION (\S+)/.exec(a);
  if (!m) throw new Error(`memcached ${server} answered version with: ${a.trim().slice(0, 80)}`);
  return m[1];
}

export interface ServerStats {
  server: string;
  pid?: number;
  version: string;
  /** bytes used by the items stored (`bytes`: item headers, keys and values) */
  bytes: number;
  curr_items: number;
  /** -m, bytes */
  limit_maxbytes: number;
  /** bytes of slab pages malloc'ed (`stats slabs` total_malloced): what the items really hold on to */
  total_malloced: number;
  evictions: number;
  /** every `stats` field as memcached printed it */
  raw: Record<string, string>;
}

const parseStats = (lines: string[]) => {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const m = /^STAT (\S+) (.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
};

/** `stats` (and `stats slabs` total_malloced) of every server in the pool. */
export async function stats(loc: MemcachedLocation, timeoutMs = 3000): Promise<ServerStats[]> {
  return Promise.all(serversOf(loc).map(async (server) => {
    const [general, slabs] = await Promise.all([
      untilEnd(server, 'stats', timeoutMs),
      untilEnd(server, 'stats slabs', timeoutMs),
    ]);
    const raw = parseStats(general);
    if (raw.bytes === undefined) throw new Error(`memcached ${server} answered stats without bytes`);
    const num = (v: string | undefined) => (v === undefined ? NaN : Number(v));
    return {
      server,
      ...(raw.pid ? { pid: Number(raw.pid) } : {}),
      version: raw.version ?? 'unknown',
      bytes: num(raw.bytes),
      curr_items: num(raw.curr_items),
      limit_maxbytes: num(raw.limit_maxbytes),
      total_malloced: num(parseStats(slabs).total_malloced),
      evictions: num(raw.evictions),
      raw,
    };
  }));
}

/** Every server answers `version` within the timeout; resolves to their versions, or rejects naming the first that did not. */
export async function probe(loc: MemcachedLocation, timeoutMs = 3000): Promise<Array<{ server: string; version: string }>> {
  return Promise.all(serversOf(loc).map(async (server) => ({ server, version: await version(server, timeoutMs) })));
}

/**
 * Deletes every key under `prefix` on every server of the pool, and nothing else. memcached has no SCAN: each
 * server lists its live keys with `lru_crawler metadump all` (streamed, one `key=<url-encoded> exp=… …` line per
 * item, then END) and the matching ones are deleted on that same server (so keys that failed over to another
 * server go too), pipelined in batches over a second connection. Resolves to the number of keys deleted.
 */
export async function deleteKeys(loc: MemcachedLocation, prefix: string, timeoutMs = 3000): Promise<number> {
  if (!prefix) throw new Error('refusing to delete keys with an empty prefix');
  const counts = await Promise.all(serversOf(loc).map((server) => deleteOnServer(server, prefix, timeoutMs)));
  return counts.reduce((a, b) => a + b, 0);
}

/** Keys on `server` that start with `prefix`, from a metadump; or the line memcached refused it with. */
async function dumpKeys(server: string, want: Buffer, idleMs: number): Promise<{ keys: Buffer[]; failure?: string }> {
  const keys: Buffer[] = [];
  let failure: string | undefined;
  await streamLines(server, ['lru_crawler metadump all'], (line) => {
    if (line === 'END') return true;
    if (line.startsWith('key=')) {
      const end = line.indexOf(' ');
      const key = percentDecode(line.slice(4, end === -1 ? undefined : end));
      if (key.length >= want.length && key.subarray(0, want.length).equals(want)) keys.push(key);
      return false;
    }
    failure = line; // BUSY (another crawl running), ERROR, CLIENT_ERROR …
    return true;
  }, idleMs);
  return { keys, failure };
}

async function deleteOnServer(server: string, prefix: string, idleMs: number): Promise<number> {
  let dump = await dumpKeys(server, Buffer.from(prefix, 'utf8'), idleMs);
  // BUSY: the crawler is already running (its own background crawl, or another client's dump): try again shortly
  for (let attempt = 1; dump.failure?.startsWith('BUSY') && attempt <= 5; attempt++) {
    await new Promise((r) => setTimeout(r, 100 * attempt));
    dump = await dumpKeys(server, Buffer.from(prefix, 'utf8'), idleMs);
  }
  if (dump.failure) throw new Error(`memcached ${server} refused lru_crawler metadump: ${dump.failure.slice(0, 80)}`);
  const keys = dump.keys;
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    let answers = 0;
    // meta delete with the key in base64 (b): any key bytes, one answer line each (HD deleted, NF gone meanwhile)
    await streamLines(server, batch.map((k) => `md ${k.toString('base64')} b`), (line) => {
      if (line === 'HD') deleted++;
      else if (line !== 'NF') throw new Error(`memcached ${server} answered a delete with: ${line.slice(0, 80)}`);
      return ++answers === batch.length;
    }, idleMs);
  }
  return deleted;
}

/** metadump prints keys URL-encoded (%XX for bytes outside [A-Za-z0-9._~-]); back to the key's bytes. */
export function percentDecode(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

/**
 * Writes `commands` to one server and hands every answer line (without CRLF) to `onLine` until it returns true.
 * Streams, so a metadump of a million keys never sits in memory as one string. Fails when the server sends
 * nothing for `idleMs`, refuses the connection or closes it first; an exception from onLine fails it too.
 */
export function streamLines(server: string, commands: string[], onLine: (line: string) => boolean, idleMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(addressOf(server) as NetConnectOpts);
    const what = commands[0]?.split(' ').slice(0, 2).join(' ') ?? '';
    let partial = '';
    let finished = false;
    const done = (err: Error | null) => {
      if (finished) return;
      finished = true;
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    sock.setTimeout(idleMs, () => done(new Error(`memcached ${server} did not answer ${what} within ${idleMs} ms`)));
    sock.on('connect', () => sock.write(commands.map((c) => `${c}\r\n`).join('')));
    sock.on('data', (d) => {
      // answers end lines with CRLF, except metadump's key lines (LF only)
      const lines = (partial + d.toString('latin1')).split('\n');
      partial = lines.pop()!;
      try {
        for (const line of lines) if (onLine(line.endsWith('\r') ? line.slice(0, -1) : line)) return done(null);
      } catch (err) {
        done(err as Error);
      }
    });
    sock.on('error', (err) => done(new Error(`memcached ${server}: ${err.message}`)));
    sock.on('close', () => done(new Error(`memcached ${server} closed the connection during ${what}`)));
  });
}
