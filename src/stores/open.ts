// Opening a store for a piece of work (a sample, the latency phase, a simulation): the user's store under a
// key prefix of the work's own, or a private server started for it; closing deletes exactly those keys, or
// stops that server.
import { storeDriver, type StoreId } from './index.ts';
import type { ExternalStore, PrivateStore, StoreDriver, StoreLocation } from './store.ts';

export interface OpenStore {
  driver: StoreDriver;
  location: StoreLocation;
  /** a private server (its RSS is read too); absent for a store the user owns */
  server?: PrivateStore;
  close(): Promise<void>;
}

export async function openStore(id: StoreId, o: { external?: ExternalStore; keyPrefix: string; timeoutMs: number }): Promise<OpenStore> {
  const driver = storeDriver(id);
  if (o.external) {
    const location = { ...o.external, keyPrefix: o.keyPrefix };
    // never a flush: the user's other keys stay; ours carry TTLs anyway, so a failed clean-up is not an error
    return { driver, location, close: async () => void (await driver.deleteKeys(location, o.timeoutMs).catch(() => 0)) };
  }
  const server = await driver.startPrivate(o.keyPrefix);
  return { driver, location: server.location, server, close: server.stop };
}

/** Every store a design needs, opened; if one fails to open, the ones already open are closed again. */
export async function openStores(needs: StoreId[], o: { external: Partial<Record<StoreId, ExternalStore>>; keyPrefix: string; timeoutMs: number }): Promise<{ open: Map<StoreId, OpenStore>; close(): Promise<void> }> {
  const open = new Map<StoreId, OpenStore>();
  const close = async () => {
    for (const s of open.values()) await s.close();
  };
  try {
    for (const id of needs) open.set(id, await openStore(id, { external: o.external[id], keyPrefix: o.keyPrefix, timeoutMs: o.timeoutMs }));
  } catch (err) {
    await close();
    throw err;
  }
  return { open, close };
}
