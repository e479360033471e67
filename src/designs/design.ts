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
}

export interface CacheDesign<Entry = unknown> {
  readonly id: string;
  /** Authenticate with the trust and build what the cache keeps for it. */
  create(trustId: string): Promise<Entry>;
  /** A usable token from a cached entry, re-authenticating when it is missing or about to expire. */
  token(entry: Entry): Promise<string>;
  /** Redis designs: the server's INFO memory used_memory, bytes. */
  serverUsedMemory?(): Promise<number>;
  /** Close shared connections (not the entries: a cache keeps them until the process ends). */
  close(): Promise<void>;
}

export type DesignFactory = (ctx: DesignContext) => Promise<CacheDesign>;
