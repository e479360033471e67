// The contract of a node design module, built-in or the user's own (`--design-module PATH`). A module's default
// export is a NodeDesignModule: its descriptor fields say what it is, open() builds the cache it stands for.
// Workers only call create/token/close; measuring and statistics never look inside an entry.
import type { AuthTarget, TokenBody } from '../keystone/auth.ts';
import type { StoreId } from '../stores/index.ts';
import type { StoreLocation } from '../stores/store.ts';

/** per-worker: every notifier process keeps its own cache; shared: one cache (a store) serves all of them. */
export type Topology = 'per-worker' | 'shared';
export const TOPOLOGIES: readonly Topology[] = ['per-worker', 'shared'];

/** The stores the harness can start privately (one per sample) or point at an existing one, and where one is. */
export type { StoreId } from '../stores/index.ts';
export type { StoreLocation } from '../stores/store.ts';

/** What ctx.authenticate resolves to. */
export interface Authenticated {
  tokenId: string;
  /** epoch ms */
  expiresAt: number;
  /** the response body as Keystone sent it */
  body: string;
  /** the same body, parsed once by the harness: take copies of what an entry keeps, never the object itself */
  parsed: TokenBody;
}

/**
 * Simulations on an accelerated clock: the time designs compare expiries with, and how many times faster than
 * real time it runs, so a TTL handed to a store (which keeps real time) can be scaled to match.
 */
export interface SimClock {
  now(): number;
  /** virtual ms per real ms, ≥ 1 */
  speedup: number;
}

export interface DesignContext {
  /** Keystone's v3 auth URL, e.g. http://127.0.0.1:5000/v3 */
  keystoneUrl: string;
  /** the trustee's credentials, for designs that build their own Keystone client */
  keystone: AuthTarget;
  /** one trust-scoped authentication over a keep-alive pool shared by the process */
  authenticate(trustId: string, opts?: { catalog?: boolean }): Promise<Authenticated>;
  /** per Keystone or store request, ms */
  timeoutMs: number;
  /** extra attempts after a 5xx, a timeout or a network error */
  retries: number;
  /** the stores named in `needs`, and where they are */
  stores: Partial<Record<StoreId, StoreLocation>>;
  /** a secret shared by every process that shares a store (keystonemiddleware's memcache_secret_key); absent: random per process */
  secret?: string;
  /** epoch ms: Date.now(), or the simulation's accelerated clock */
  now(): number;
  /** set only by the simulation */
  clock?: SimClock;
}

export interface CacheInstance<Entry = unknown> {
  /** Authenticate with the trust and build what the cache keeps for it. */
  create(trustId: string): Promise<Entry>;
  /**
   * Shared designs: an entry for a trust that does not authenticate yet, so a worker meeting a trust for the
   * first time reuses the token another worker stored. Absent: callers use create().
   */
  attach?(trustId: string): Promise<Entry>;
  /** A usable token from a cached entry, re-authenticating when it is missing or about to expire. */
  token(entry: Entry): Promise<string>;
  /**
   * Store designs over a pool: the server a trust's record hashes to (before any failover). Lets the simulation
   * say which trusts a server's loss takes with it, to predict the tokens re-minted after it dies.
   */
  storeServer?(trustId: string): string;
  /** Close shared connections (not the entries: a cache keeps them until the process ends). */
  close(): Promise<void>;
}

export interface NodeDesignModule<Entry = unknown> {
  id: string;
  title: string;
  topology: Topology;
  /** stores the design needs; the harness starts a private one per sample unless told of an existing one */
  needs?: StoreId[];
  /** planning estimate of RSS per entry, bytes, for the memory guard only (default 2048) */
  planningBytesPerEntry?: number;
  /** a what-if: the design id this one changes, and the change in words */
  whatIf?: { of: string; change: string };
  open(ctx: DesignContext): Promise<CacheInstance<Entry>>;
}

/** Lets a design module be written with types and no harness import beyond this file. */
export const defineDesign = <Entry>(m: NodeDesignModule<Entry>): NodeDesignModule<Entry> => m;
