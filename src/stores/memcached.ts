// memcached as a store: a private memcached per sample, its own `stats` (bytes of the items) for its memory,
// summed over the servers of a pool.
import { deleteKeys, probe, stats } from '../memcached/client.ts';
import { startMemcachedServer } from '../memcached/server.ts';
import type { StoreDriver } from './store.ts';

export const memcachedStore: StoreDriver = {
  id: 'memcached',
  package: 'memcached',
  async startPrivate(keyPrefix) {
    const server = await startMemcachedServer();
    return { pid: server.pid, version: server.version, location: { socketPath: server.socketPath, keyPrefix }, stop: server.stop };
  },
  usedMemory: async (loc, ms) => (await stats(loc, ms)).reduce((a, s) => a + s.bytes, 0),
  version: async (loc, ms) => [...new Set((await probe(loc, ms)).map((s) => s.version))].join(', '),
  deleteKeys: (loc, ms) => deleteKeys(loc, loc.keyPrefix, ms),
};
