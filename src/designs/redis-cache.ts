// The Redis-backed cache behind redis-handle and redis-handle-encrypted: the process keeps a handle per trust,
// the token record lives in Redis under a key derived by hashing the trust id (a key never reveals the trust),
// with a TTL that ends before the token's refresh point, so Redis never hands out a token keystoneauth would
// already refresh. An optional Sealer protects the values.
import { createHash } from 'node:crypto';
import { REFRESH_MARGIN_MS, needsRefresh } from '../keystone/auth.ts';
import { boundedRedis, connectRedis } from '../stores/redis/client.ts';
import type { CacheInstance, DesignContext } from './contract.ts';
import { endpointOf } from './endpoint.ts';
import type { Sealer } from './seal.ts';

export interface RedisHandle {
  trustId: string;
  key: string;
}

/**
 * The key names the design (so two designs can share a server) and hides the trust id behind SHA-256. Built by
 * join(), which gives one flat string: a template literal gives a cons string that the client flattens, or not,
 * depending on when collections run, which would make an entry's size depend on GC timing.
 */
export const redisKey = (design: string, trustId: string, prefix = 'kcb:') =>
  [prefix, design, ':', createHash('sha256').update(trustId).digest('hex')].join('');

interface StoredRecord {
  token: string;
  expires_at: number;
  endpoint?: string;
}

export async function openRedisCache(ctx: DesignContext, id: string, sealer?: Sealer): Promise<CacheInstance<RedisHandle>> {
  const where = ctx.stores.redis;
  if (!where) throw new Error(`${id} needs a Redis server`);
  const redis = await connectRedis(where, ctx.timeoutMs);
  const ms = ctx.timeoutMs;

  const store = async (handle: RedisHandle): Promise<string> => {
    const r = await ctx.authenticate(handle.trustId);
    const rec: StoredRecord = { token: r.tokenId, expires_at: r.expiresAt, endpoint: endpointOf(r.parsed) };
    const ttlS = Math.floor((r.expiresAt - ctx.now() - REFRESH_MARGIN_MS) / 1000);
    const plain = JSON.stringify(rec);
    const value = sealer ? sealer.seal(plain, handle.key) : plain;
    // On the simulation's accelerated clock ttlS is in clock seconds; Redis expires keys in real time.
    const expiration = ctx.clock && ctx.clock.speedup !== 1
      ? { type: 'PX' as const, value: Math.max(1, Math.round((ttlS * 1000) / ctx.clock.speedup)) }
      : { type: 'EX' as const, value: ttlS };
    if (ttlS > 0) await boundedRedis(redis.set(handle.key, value, { expiration }), ms, 'SET');
    return r.tokenId;
  };

  /** The stored record, or undefined when the value cannot be trusted (tampered, moved from another key, garbage). */
  const read = (value: string, key: string): StoredRecord | undefined => {
    try {
      const rec = JSON.parse(sealer ? sealer.open(value, key) : value) as StoredRecord;
      return typeof rec?.token === 'string' ? rec : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    async create(trustId) {
      const handle = { trustId, key: redisKey(id, trustId, where.keyPrefix) };
      await store(handle);
      return handle;
    },
    // no authentication here: the first token() finds another worker's token in Redis, or stores one
    attach: async (trustId) => ({ trustId, key: redisKey(id, trustId, where.keyPrefix) }),
    async token(handle) {
      const value = await boundedRedis(redis.get(handle.key), ms, 'GET');
      // A value that fails to open is never used: treat it as a miss, authenticate again and overwrite it
      // (keystonemiddleware does the same with a value whose MAC does not verify).
      const rec = value === null ? undefined : read(value, handle.key);
      // the TTL ends at the refresh point in real time; the record's own expiry decides on a simulation's clock
      return rec && !needsRefresh(rec.expires_at, ctx.now()) ? rec.token : store(handle);
    },
    async close() {
      redis.destroy();
    },
  };
}
