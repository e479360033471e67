// Redis as a store: a private redis-server per sample, INFO memory for its bytes, `--redis-url` for one the user
// runs. The client (node-redis) is imported when first needed, so naming the store costs nothing.
import { UsageError } from '../../util/usage-error.ts';
import { privateStore, type ExternalStore, type StoreDriver, type StoreLocation } from '../store.ts';
import { startRedisServer } from './server.ts';

const SCHEMES = ['redis:', 'rediss:', 'unix:'];

async function withClient<T>(loc: StoreLocation, ms: number, f: (c: import('./client.ts').Redis, client: typeof import('./client.ts')) => Promise<T>): Promise<T> {
  const client = await import('./client.ts');
  const c = await client.connectRedis(loc, ms);
  try {
    return await f(c, client);
  } finally {
    c.destroy();
  }
}

function parseUrl(raw: string): ExternalStore {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`--redis-url is not a URL: "${raw}"`);
  }
  if (u.username || u.password) throw new UsageError('--redis-url must not carry credentials; use the environment (see README)');
  if (!SCHEMES.includes(u.protocol)) throw new UsageError(`--redis-url must start with ${SCHEMES.join(' or ')}, got "${raw}"`);
  return { url: raw };
}

export const redisStore: StoreDriver = {
  id: 'redis',
  name: 'Redis',
  package: 'redis-server',
  flag: {
    name: 'redis-url', value: 'URL', help: 'use an existing Redis instead of a private redis-server',
    parse: parseUrl, show: (s) => s.url ?? '',
  },
  usedMemoryLabel: 'Redis used_memory',
  // the node designs' records measured 540–690 B a key in a private server
  planningBytesPerKey: 1024,
  startPrivate: async (keyPrefix) => privateStore(await startRedisServer(), keyPrefix),
  // The user's Redis holds other clients too: their buffers are not ours to count.
  usedMemory: (loc, ms) => withClient(loc, ms, (c, client) => (loc.url ? client.usedMemoryWithoutClients(c, ms) : client.usedMemory(c, ms))),
  version: (loc, ms) => withClient(loc, ms, (c, client) => client.redisVersion(c, ms)),
  deleteKeys: async (loc, ms) => (await import('./client.ts')).deleteKeys(loc, loc.keyPrefix, ms),
};
