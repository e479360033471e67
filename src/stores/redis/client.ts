// Redis with bounded waits everywhere (src/stores/bounded.ts): a dead or stopped server fails a sample in
// seconds, never hangs it.
import { createClient } from 'redis';
import { bounded } from '../bounded.ts';
import { errorLine } from '../../util/text.ts';

export type Redis = ReturnType<typeof createClient>;

export interface RedisLocation {
  /** unix socket of the private server */
  socketPath?: string;
  /** an existing Redis (--redis-url): redis://host:port/db, rediss://…, or unix:///path/redis.sock[?db=N] */
  url?: string;
  /**
   * Prefix of every key a design writes. An existing Redis gets a run-unique prefix, so the harness can delete
   * exactly its own keys afterwards and never touches (or flushes) the user's data.
   */
  keyPrefix?: string;
}

// node-redis says "The client is closed" for every command after the server went away: say that instead
const explain = (m: string) => (m === 'The client is closed' ? 'connection lost (the server closed it or died)' : m);

/** A Redis call, bounded (src/stores/bounded.ts). */
export const boundedRedis = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => bounded('Redis', p, ms, what, explain);

/** node-redis parses only redis: and rediss: URLs; a unix: URL becomes a socket path (+ database). */
function socketOptions(loc: RedisLocation): { url?: string; path?: string; database?: number } {
  if (loc.url?.startsWith('unix:')) {
    const u = new URL(loc.url);
    const db = u.searchParams.get('db');
    return { path: decodeURIComponent(u.pathname), ...(db ? { database: Number(db) } : {}) };
  }
  if (loc.url) return { url: loc.url };
  return { path: loc.socketPath };
}

export async function connectRedis(loc: RedisLocation, timeoutMs = 3000): Promise<Redis> {
  const { url, path, database } = socketOptions(loc);
  const client = createClient({
    ...(url ? { url } : {}),
    ...(database !== undefined ? { database } : {}),
    socket: {
      ...(path ? { path } : {}),
      connectTimeout: timeoutMs,
      reconnectStrategy: false,
    },
    disableOfflineQueue: true,
    // no commandOptions.timeout: every call goes through bounded(), and an AbortSignal.timeout per command cost ~8 µs of a worker
  } as Parameters<typeof createClient>[0]);
  // Without a listener node-redis would throw 'error' events as uncaught exceptions; commands reject anyway.
  // The socket's error (ENOENT, ECONNREFUSED) is kept: connect() itself only says "The client is closed".
  let socketError: Error | undefined;
  client.on('error', (err: Error) => (socketError ??= err));
  const what = `connect to ${path ?? 'the --redis-url server'}`;
  try {
    // connect() also sends the handshake commands: a stopped server would accept the socket and never answer.
    await boundedRedis(client.connect(), timeoutMs, what);
  } catch (err) {
    try {
      client.destroy();
    } catch {
      /* already closed */
    }
    throw socketError ? new Error(`Redis ${what} failed: ${errorLine(socketError)}`) : err;
  }
  return client as Redis;
}

/** used_memory from INFO memory, bytes. */
export async function usedMemory(client: Redis, timeoutMs = 3000): Promise<number> {
  const info = await boundedRedis(client.info('memory'), timeoutMs, 'INFO memory');
  const m = /used_memory:(\d+)/.exec(info);
  if (!m) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

/**
 * used_memory without the clients' query and output buffers (mem_clients_normal), for a shared Redis: those
 * buffers grow with a burst of commands and shrink on Redis's own schedule, tens of KB of noise that say nothing
 * about the keys (and on a shared server are other people's). mem_clients_normal is refreshed by a cron (10×/s by
 * default) while used_memory is live, so read until two readings ~0.1 s apart agree.
 */
export async function usedMemoryWithoutClients(client: Redis, timeoutMs = 3000): Promise<number> {
  const read = async () => {
    const info = await boundedRedis(client.info('memory'), timeoutMs, 'INFO memory');
    const num = (k: string) => Number(new RegExp(`${k}:(\\d+)`).exec(info)?.[1] ?? NaN);
    return num('used_memory') - (num('mem_clients_normal') || 0);
  };
  let previous = await read();
  for (let round = 0; round < 10; round++) {
    await new Promise((r) => setTimeout(r, 120));
    const now = await read();
    if (now === previous) return now;
    previous = now;
  }
  return previous;
}

export async function redisVersion(client: Redis, timeoutMs = 3000): Promise<string> {
  return /redis_version:([^\r\n]+)/.exec(await boundedRedis(client.info('server'), timeoutMs, 'INFO server'))?.[1] ?? 'unknown';
}

/** Deletes every key under `prefix` (SCAN + UNLINK, never FLUSHDB): how a run cleans up an existing Redis. */
export async function deleteKeys(loc: RedisLocation, prefix: string, timeoutMs = 3000): Promise<number> {
  if (!prefix || /[*?[\]\\]/.test(prefix)) throw new Error('refusing to delete keys with an empty or glob-like prefix');
  const client = await connectRedis(loc, timeoutMs);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const r = await boundedRedis(client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 }), timeoutMs, 'SCAN');
      cursor = String(r.cursor);
      if (r.keys.length) deleted += await boundedRedis(client.unlink(r.keys), timeoutMs, 'UNLINK');
    } while (cursor !== '0');
  } finally {
    client.destroy();
  }
  return deleted;
}
