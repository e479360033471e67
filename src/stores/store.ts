// What the harness needs of a store (Redis, memcached): a private server per sample, its memory as the store
// itself counts it, and a clean-up that deletes exactly one run's keys on a store the user owns; and what the
// rest of the harness says about it (its flag, its name, its labels, its planning size).

/** Where a store is: a private server's unix socket, or an existing server the user named. */
export interface StoreLocation {
  /** unix socket of the private server */
  socketPath?: string;
  /** redis: an existing Redis URL (redis://, rediss://, unix://) */
  url?: string;
  /** memcached: an existing pool, host:port or /path/to.sock, hashed client-side */
  servers?: string[];
  /**
   * memcached pool: a server that fails a request is skipped and its keys rehash to the next one (a miss there,
   * so the trust authenticates again), as oslo.cache / pymemcache's HashClient treat a dead server. Set only by
   * the simulation's pool run; off everywhere else, so a dead server fails a bench sample clearly.
   */
  failover?: boolean;
  /** prefix of every key a design writes; run-unique on an existing store so exactly this run's keys are deleted */
  keyPrefix: string;
}

/** A store the user runs, as its flag named it (no key prefix yet: each run gets its own). */
export type ExternalStore = Omit<StoreLocation, 'keyPrefix' | 'socketPath' | 'failover'>;

export interface PrivateStore {
  pid: number;
  location: StoreLocation;
  version: string;
  stop(): Promise<void>;
}

export interface StoreDriver {
  id: string;
  /** the store in prose and labels: "Redis" */
  name: string;
  /** the Debian package that provides the server, for messages */
  package: string;
  /** the bench flag that points at a store the user runs instead of a private server */
  flag: {
    name: string;
    /** its value in --help: "URL" */
    value: string;
    help: string;
    /** the flag's value, checked: throws a UsageError naming the flag */
    parse(raw: string): ExternalStore;
    /** the value again, for messages */
    show(store: ExternalStore): string;
  };
  /** label of the store's own memory figure: "Redis used_memory" */
  usedMemoryLabel: string;
  /** what a private server holds per key, for the memory guard: a planning estimate, never a result */
  planningBytesPerKey: number;
  startPrivate(keyPrefix: string): Promise<PrivateStore>;
  /** bytes the store holds, as it counts them itself; on a store the user owns, without client buffers */
  usedMemory(loc: StoreLocation, timeoutMs: number): Promise<number>;
  /** the server's version; throws when it does not answer */
  version(loc: StoreLocation, timeoutMs: number): Promise<string>;
  /** deletes every key under loc.keyPrefix, never anything else */
  deleteKeys(loc: StoreLocation, timeoutMs: number): Promise<number>;
}

/** A private server as a store: its unix socket under the given key prefix. */
export const privateStore = (server: { pid: number; version: string; socketPath: string; stop(): Promise<void> }, keyPrefix: string): PrivateStore =>
  ({ pid: server.pid, version: server.version, location: { socketPath: server.socketPath, keyPrefix }, stop: server.stop });
