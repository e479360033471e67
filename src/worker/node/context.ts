// The context a node design receives, built inside the worker from the plain ContextSpec: ctx.authenticate
// goes through one keep-alive pool for the whole process, so a design needs no HTTP code of its own.
import { Agent } from 'undici';
import { authenticate } from '../../keystone/auth.ts';
import type { DesignContext } from '../../designs/contract.ts';
import type { ContextSpec } from '../protocol.ts';

export function makeContext(spec: ContextSpec, clock?: DesignContext['clock']): DesignContext & { dispose(): Promise<void> } {
  let agent: Agent | undefined;
  return {
    keystoneUrl: spec.keystone.authUrl,
    keystone: spec.keystone,
    timeoutMs: spec.timeoutMs,
    retries: spec.retries,
    stores: spec.stores,
    ...(spec.secret ? { secret: spec.secret } : {}),
    ...(clock ? { clock } : {}),
    now: clock ? () => clock.now() : Date.now,
    async authenticate(trustId, opts = {}) {
      agent ??= new Agent({ keepAliveTimeout: 10_000, ...(spec.pool ?? { connections: 8, pipelining: 1 }) });
      const r = await authenticate(spec.keystone, {
        trustId, dispatcher: agent, timeoutMs: spec.timeoutMs, retries: spec.retries, nocatalog: opts.catalog === false, text: true,
      });
      return { tokenId: r.tokenId, expiresAt: r.expiresAt, body: r.text!, parsed: r.body };
    },
    dispose: async () => {
      await agent?.close();
    },
  };
}
