// Keep only what posting a notification needs: the token, its expiry and the one endpoint used. Authentication
// goes through the context's keep-alive pool, shared by the whole process.
import { needsRefresh } from '../keystone/auth.ts';
import { defineDesign } from './contract.ts';
import { endpointOf } from './endpoint.ts';

export interface TokenRecord {
  trustId: string;
  token: string;
  /** epoch ms */
  expiresAt: number;
  /** the endpoint the notifier posts to (the alarming service's public URL), when the catalog has one */
  endpoint?: string;
}

export default defineDesign<TokenRecord>({
  id: 'token-record',
  title: 'Minimal token record per trust',
  topology: 'per-worker',
  async open(ctx) {
    const fresh = async (trustId: string): Promise<TokenRecord> => {
      const r = await ctx.authenticate(trustId);
      return { trustId, token: r.tokenId, expiresAt: r.expiresAt, endpoint: endpointOf(r.parsed) };
    };
    return {
      create: fresh,
      async token(rec) {
        if (needsRefresh(rec.expiresAt, ctx.now())) Object.assign(rec, await fresh(rec.trustId));
        return rec.token;
      },
      async close() {},
    };
  },
});
