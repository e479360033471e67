// The process keeps a small handle per trust; the token record lives in Redis, shared by every worker.
import { defineDesign } from './contract.ts';
import { openRedisCache, type RedisHandle } from './redis-cache.ts';

export default defineDesign<RedisHandle>({
  id: 'redis-handle',
  title: 'Handle in process, token record in Redis',
  topology: 'shared',
  needs: ['redis'],
  open: (ctx) => openRedisCache(ctx, 'redis-handle'),
});
