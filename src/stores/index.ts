// The stores a design can name in `needs`, one driver each.
import type { StoreId } from '../designs/contract.ts';
import { redisStore } from './redis.ts';
import type { StoreDriver } from './store.ts';

const DRIVERS: Partial<Record<StoreId, StoreDriver>> = { redis: redisStore };

export function storeDriver(id: StoreId): StoreDriver {
  const d = DRIVERS[id];
  if (!d) throw new Error(`no driver for store ${id}`);
  return d;
}
