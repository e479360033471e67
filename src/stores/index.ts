// The stores a design can name in `needs`, one driver each.
import type { StoreId } from '../designs/contract.ts';
import { memcachedStore } from './memcached.ts';
import { redisStore } from './redis.ts';
import type { StoreDriver } from './store.ts';

const DRIVERS: Record<StoreId, StoreDriver> = { redis: redisStore, memcached: memcachedStore };

export function storeDriver(id: StoreId): StoreDriver {
  return DRIVERS[id];
}
