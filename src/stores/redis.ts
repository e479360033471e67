// Redis as a store: a private redis-server per sample, INFO memory for its bytes.
import { connectRedis, deleteKeys, redisVersion, usedMemory, usedMemoryWithoutClients } from '../redis/client.ts';
import { startRedisServer } from '../redis/server.ts';
import type { StoreDriver } from './store.ts';

async function withClient<T>(loc: Parameters<typeof connectRedis>[0], ms: number, f: (c: Awaited<ReturnType<typeof connectRedis>>) => Promise<T>): Promise<T> {
  const client = await connectRedis(loc, ms);
  try {
    return await f(client);
  } finally {
    client.destroy();
  }
}

export const redisStore: StoreDriver = {
  id: 'redis',
  package: 'redis-server',
  async startPrivate(keyPrefix) {
    const server = await startRedisServer();
    return { pid: server.pid, version: server.version, location: { socketPath: server.socketPath, keyPrefix }, stop: server.stop };
  },
  // The user's Redis holds other clients too: their buffers are not ours to count.
  usedMemory: (loc, ms) => withClient(loc, ms, (c) => (loc.url ? usedMemoryWithoutClients(c, ms) : usedMemory(c, ms))),
  version: (loc, ms) => withClient(loc, ms, (c) => redisVersion(c, ms)),
  deleteKeys: (loc, ms) => deleteKeys(loc, loc.keyPrefix, ms),
};
