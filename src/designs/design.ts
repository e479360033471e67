// The one small interface every cache design implements. A design turns a trust id into the entry a cache
// would keep for it (authenticating against Keystone on the way) and turns an entry back into a usable token.
// Workers only call these; measuring and statistics never look inside an entry.
import type { AuthTarget } from '../keystone/auth.ts';
import type { RedisLocation } from '../redis/client.ts';

export interface DesignContext {
  /** the trustee's credentials and Keystone's auth URL */
  keystone: AuthTarget;
  /** per Keystone request */
  timeoutMs: number;
  /** extra attempts after 5xx / timeout */
  retries: number;
  /** Redis designs: where the token records live */
  redis?: RedisLocation;
  /**
   * redis-handle-encrypted: the AES-256-GCM key (base64, 32 bytes) shared by every process that shares the Redis
   * cache, as keystonemiddleware's memcache_secret_key is. Absent: a random key private to this process.
   */
  sealKey?: string;
  /**
   * Simulations on an accelerated clock (src/model/simulate.ts): the time the designs compare expiries with, and
   * how many times faster than real time it runs, so a TTL handed to Redis (which keeps real time) is scaled to
   * match. Absent (every benchmark): Date.now() and real time, exactly as before.
   */
  clock?: SimClock;
}

export interface SimClock {
  /** epoch ms on the accelerated clock (the Keystone stand-in issues expires_at on the same clock) */
  now(): number;
  /** virtual ms per real ms, ≥ 1 */
  speedup: number;
}

export interface CacheDesign<Entry = unknown> {
  readonly id: string;
  /** Authenticate with the trust and build what the cache keeps for it. */
  create(trustId: string): Promise<Entry>;
  /**
   * Shared-store designs only: an entry for a trust that does not authenticate yet, so a worker that meets a
   * trust for the first time reuses the token another worker already stored (the first token() call reads the
   * store and authenticates only on a miss). create() keeps authenticating unconditionally, which is what the
   * memory and first-miss measurements need. Absent: callers use create().
   */
  attach?(trustId: string): Promise<Entry>;
  /** A usable token from a cached entry, re-authenticating when it is missing or about to expire. */
  token(entry: Entry): Promise<string>;
  /** Redis designs: the server's INFO memory used_memory, bytes. */
  serverUsedMemory?(): Promise<number>;
  /** Close shared connections (not the entries: a cache keeps them until the process ends). */
  close(): Promise<void>;
}

export type DesignFactory = (ctx: DesignContext) => Promise<CacheDesign>;
