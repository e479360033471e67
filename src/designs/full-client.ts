// Design 1: cache a whole Keystone v3 client per trust, as the post proposed for Ceilometer's notifier.
import { KeystoneV3Client } from '../keystone/client.ts';
import type { CacheDesign, DesignFactory } from './design.ts';

export const createFullClientDesign: DesignFactory = async (ctx) => {
  const design: CacheDesign<KeystoneV3Client> = {
    id: 'full-client',
    async create(trustId) {
      const client = new KeystoneV3Client(ctx.keystone, trustId, { timeoutMs: ctx.timeoutMs, retries: ctx.retries });
      await client.authenticate();
      return client;
    },
    // ctx.clock is set only by the simulation; undefined keeps getToken's default, Date.now()
    token: (client) => client.getToken(ctx.clock?.now()),
    async close() {},
  };
  return design as CacheDesign;
};
