// redis-handle with values sealed by AES-256-GCM under a key that exists only in the processes sharing the store.
import { defineDesign } from './contract.ts';
import { openRedisCache, type RedisHandle } from './redis-cache.ts';
import { createSealer } from './seal.ts';

export default defineDesign<RedisHandle>({
  id: 'redis-handle-encrypted',
  title: 'Redis handle, AES-256-GCM sealed values',
  topology: 'shared',
  needs: ['redis'],
  open: (ctx) => openRedisCache(ctx, 'redis-handle-encrypted', createSealer(ctx.secret ? Buffer.from(ctx.secret, 'base64') : undefined)),
});
