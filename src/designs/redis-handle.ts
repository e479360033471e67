// Design 3: the process keeps a small handle per trust; the token record lives in Redis under a key derived by
// hashing the trust id (a key never reveals the trust), with a TTL that ends before the token's expiry so
// Redis never hands out a token keystoneauth would already refresh. The optional sealing (AES-256-GCM, key held
// only in this process) is the redis-handle-encrypted variant.
import { createHash } from 'node:crypto';
import { Agent } from 'undici';
import { REFRESH_MARGIN_MS } from '../keystone/auth.ts';
import { connectRedis } from '../redis/client.ts';
import { usedMemory } from '../redis/client.ts';
import type { CacheDesign, DesignContext } from './design.ts';
import { authForRecord, endpointOf, sharedAgent } from './token-record.ts';
import type { Sealer } from './seal.ts';

export interface RedisHandle {
  trustId: string;
  key: string;
}

/** The key names the design (so two designs can share a server) and hides the trust id behind SHA-256. */
export const redisKey = (design: string, trustId: string) => `kcb:${design}:${createHash('sha256').update(trustId).digest('hex')}`;

interface StoredRecord {
  token: string;
  expires_at: number;
  endpoint?: string;
}

export async function createRedisDesign(ctx: DesignContext, id: string, sealer?: Sealer): Promise<CacheDesign> {
  if (!ctx.redis) throw new Error(`${id} needs a Redis server`);
  const redis = await connectRedis(ctx.redis, ctx.timeoutMs);
  const agent: Agent = sharedAgent();

  const store = async (handle: RedisHandle): Promise<string> => {
    const r = await authForRecord(ctx, agent, handle.trustId);
    const rec: StoredRecord = { token: r.tokenId, expires_at: r.expiresAt, endpoint: endpointOf(r) };
    const ttlS = Math.floor((r.expiresAt - Date.now() - REFRESH_MARGIN_MS) / 1000);
    const plain = JSON.stringify(rec);
    const value = sealer ? sealer.seal(plain, handle.key) : plain;
    if (ttlS > 0) await redis.set(handle.key, value, { expiration: { type: 'EX', value: ttlS } });
    return r.tokenId;
  };

  const design: CacheDesign<RedisHandle> = {
    id,
    async create(trustId) {
      const handle = { trustId, key: redisKey(id, trustId) };
      await store(handle);
      return handle;
    },
    async token(handle) {
      const value = await redis.get(handle.key);
      if (value === null) return store(handle);
      const rec = JSON.parse(sealer ? sealer.open(value, handle.key) : value) as StoredRecord;
      return rec.token;
    },
    serverUsedMemory: () => usedMemory(redis),
    async close() {
      await agent.close();
      redis.destroy();
    },
  };
  return design as CacheDesign;
}

export const createRedisHandleDesign = (ctx: DesignContext) => createRedisDesign(ctx, 'redis-handle');
