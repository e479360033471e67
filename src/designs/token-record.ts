// Design 2: keep only what posting a notification needs — the token, its expiry and the one endpoint used.
// Authentication goes through one shared keep-alive connection pool for the whole process.
import { Agent } from 'undici';
import { authenticate, needsRefresh, type AuthResult } from '../keystone/auth.ts';
import type { CacheDesign, DesignContext, DesignFactory } from './design.ts';

export interface TokenRecord {
  trustId: string;
  token: string;
  /** epoch ms */
  expiresAt: number;
  /** the endpoint the notifier posts to (here: the alarming service's public URL), when the catalog has one */
  endpoint?: string;
}

/** The service whose endpoint a notifier would keep. */
export const RECORD_SERVICE_TYPE = 'alarming';

export function endpointOf(result: AuthResult, type = RECORD_SERVICE_TYPE, iface = 'public'): string | undefined {
  const service = result.body.token.catalog?.find((s) => s.type === type);
  const url = service?.endpoints.find((e) => e.interface === iface)?.url;
  // Copy so the record does not keep a slice of a larger parsed string alive.
  return url === undefined ? undefined : (' ' + url).slice(1);
}

export function sharedAgent(): Agent {
  return new Agent({ keepAliveTimeout: 10_000, connections: 8 });
}

export function authForRecord(ctx: DesignContext, agent: Agent, trustId: string): Promise<AuthResult> {
  return authenticate(ctx.keystone, { trustId, dispatcher: agent, timeoutMs: ctx.timeoutMs, retries: ctx.retries });
}

export const createTokenRecordDesign: DesignFactory = async (ctx) => {
  const agent = sharedAgent();
  const fresh = async (trustId: string): Promise<TokenRecord> => {
    const r = await authForRecord(ctx, agent, trustId);
    return { trustId, token: r.tokenId, expiresAt: r.expiresAt, endpoint: endpointOf(r) };
  };
  const design: CacheDesign<TokenRecord> = {
    id: 'token-record',
    create: fresh,
    async token(rec) {
      // ctx.clock is set only by the simulation; undefined keeps needsRefresh's default, Date.now()
      if (needsRefresh(rec.expiresAt, ctx.clock?.now())) Object.assign(rec, await fresh(rec.trustId));
      return rec.token;
    },
    close: () => agent.close(),
  };
  return design as CacheDesign;
};
