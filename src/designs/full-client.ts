// Cache a whole Keystone v3 client per trust, as the post proposed for Ceilometer's notifier: its own connection
// pool, the password plugin, the whole parsed token response with its catalog, and the resource managers.
import { KeystoneV3Client } from '../keystone/client.ts';
import { defineDesign } from './contract.ts';

export default defineDesign<KeystoneV3Client>({
  id: 'full-client',
  title: 'Full Keystone v3 client per trust',
  topology: 'per-worker',
  planningBytesPerEntry: 64 * 1024,
  async open(ctx) {
    return {
      async create(trustId) {
        const client = new KeystoneV3Client(ctx.keystone, trustId, { timeoutMs: ctx.timeoutMs, retries: ctx.retries });
        await client.authenticate();
        return client;
      },
      token: (client) => client.getToken(ctx.now()),
      async close() {},
    };
  },
});
