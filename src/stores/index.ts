// The stores a design can name in `needs`: one driver module each, registered here. Everything else — the bench
// flags, the memory guard, labels, opening a store for a sample — iterates this list.
import { memcachedStore } from './memcached/driver.ts';
import { redisStore } from './redis/driver.ts';
import type { StoreDriver } from './store.ts';

const DRIVERS = { redis: redisStore, memcached: memcachedStore } satisfies Record<string, StoreDriver>;

export type StoreId = keyof typeof DRIVERS;
export const STORE_IDS = Object.keys(DRIVERS) as StoreId[];
export const STORE_DRIVERS: StoreDriver[] = Object.values(DRIVERS);

export function storeDriver(id: StoreId): StoreDriver {
  return DRIVERS[id];
}

/** The driver of a store named in a results file or a descriptor, if this harness knows it. */
export const findStoreDriver = (id: string | undefined): StoreDriver | undefined => STORE_DRIVERS.find((d) => d.id === id);

export type { ExternalStore, PrivateStore, StoreDriver, StoreLocation } from './store.ts';
