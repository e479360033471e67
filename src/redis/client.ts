// Connecting to Redis with bounded waits everywhere: a dead server must fail a sample in seconds, not hang it.
import { createClient } from 'redis';

export type Redis = ReturnType<typeof createClient>;

export interface RedisLocation {
  /** unix socket of the private server */
  socketPath?: string;
  /** an existing Redis (--redis-url), e.g. redis://127.0.0.1:6379/15 */
  url?: string;
}

export async function connectRedis(loc: RedisLocation, timeoutMs = 3000): Promise<Redis> {
  const client = createClient({
    ...(loc.url ? { url: loc.url } : {}),
    socket: {
      ...(loc.socketPath ? { path: loc.socketPath } : {}),
      connectTimeout: timeoutMs,
      reconnectStrategy: false,
    },
    disableOfflineQueue: true,
    commandOptions: { timeout: timeoutMs },
  } as Parameters<typeof createClient>[0]);
  // Without a listener node-redis would throw 'error' events as uncaught exceptions; commands reject anyway.
  client.on('error', () => {});
  await client.connect();
  return client as Redis;
}

/** used_memory from INFO memory, bytes. */
export async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  const m = /used_memory:(\d+)/.exec(info);
  if (!m) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

export async function redisVersion(client: Redis): Promise<string> {
  return /redis_version:([^\r\n]+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
}
