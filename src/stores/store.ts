// What the harness needs of a store (Redis, memcached): a private server per sample, its memory as the store
// itself counts it, and a clean-up that deletes exactly one run's keys on a store the user owns.
import type { StoreId, StoreLocation } from '../designs/contract.ts';

export interface PrivateStore {
  pid: number;
  location: StoreLocation;
  version: string;
  stop(): Promise<void>;
}

export interface StoreDriver {
  id: StoreId;
  /** the Debian package that provides the server, for messages */
  package: string;
  startPrivate(keyPrefix: string): Promise<PrivateStore>;
  /** bytes the store holds, as it counts them itself; on a store the user owns, without client buffers */
  usedMemory(loc: StoreLocation, timeoutMs: number): Promise<number>;
  /** the server's version; throws when it does not answer */
  version(loc: StoreLocation, timeoutMs: number): Promise<string>;
  /** deletes every key under loc.keyPrefix, never anything else */
  deleteKeys(loc: StoreLocation, timeoutMs: number): Promise<number>;
}
