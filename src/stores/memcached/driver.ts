// memcached as a store: a private memcached per sample, its own `stats` (bytes of the items) for its memory,
// summed over the servers of a pool; `--memcached-servers` for a pool the user runs. The client is imported when
// first needed, so naming the store costs nothing.
import { UsageError } from '../../util/usage-error.ts';
import { privateStore, type ExternalStore, type StoreDriver } from '../store.ts';
import { startMemcachedServer } from './server.ts';

function parseServers(raw: string): ExternalStore {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of list) {
    if (!(s.startsWith('/') || /^[A-Za-z0-9.-]+:\d{1,5}$/.test(s) || /^\[[0-9a-f:]+\]:\d{1,5}$/i.test(s))) {
      throw new UsageError(`--memcached-servers takes host:port or /path/to.sock entries, got "${s}"`);
    }
  }
  if (!list.length) throw new UsageError('--memcached-servers names no server');
  return { servers: list };
}

export const memcachedStore: StoreDriver = {
  id: 'memcached',
  name: 'memcached',
  package: 'memcached',
  flag: {
    name: 'memcached-servers', value: 'L', help: 'use an existing memcached pool (host:port or /socket, comma-separated)',
    parse: parseServers, show: (s) => (s.servers ?? []).join(','),
  },
  usedMemoryLabel: 'memcached bytes',
  planningBytesPerKey: 1024,
  startPrivate: async (keyPrefix) => privateStore(await startMemcachedServer(), keyPrefix),
  usedMemory: async (loc, ms) => (await (await import('./client.ts')).stats(loc, ms)).reduce((a, s) => a + s.bytes, 0),
  version: async (loc, ms) => [...new Set((await (await import('./client.ts')).probe(loc, ms)).map((s) => s.version))].join(', '),
  deleteKeys: async (loc, ms) => (await import('./client.ts')).deleteKeys(loc, loc.keyPrefix, ms),
};
