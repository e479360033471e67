// Design 3b: redis-handle with values sealed by AES-256-GCM under a key that exists only in this process.
import { createRedisDesign } from './redis-handle.ts';
import { createSealer } from './seal.ts';
import type { DesignContext } from './design.ts';

export const createRedisHandleEncryptedDesign = (ctx: DesignContext) =>
  createRedisDesign(ctx, 'redis-handle-encrypted', createSealer(ctx.sealKey ? Buffer.from(ctx.sealKey, 'base64') : undefined));
