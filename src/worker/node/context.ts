// The context a node design receives, built inside the worker from the plain ContextSpec: ctx.authenticate
// goes through one keep-alive pool for the whole process, so a design needs no HTTP code of its own. The pool is
// node's own http agent (src/keystone/node-http-post.ts): undici's kept a per-connection request history that
// scattered heap readings by ~20 KB and grew through the first ~2,000 requests of a build.
import { authenticate } from '../../keystone/auth.ts';
import { nodeHttpPost } from '../../keystone/node-http-post.ts';
import type { DesignContext } from '../../designs/contract.ts';
import type { ContextSpec } from '../protocol.ts';

export function makeContext(spec: ContextSpec, clock?: DesignContext['clock']): DesignContext & { dispose(): Promise<void> } {
  let pool: ReturnType<typeof nodeHttpPost> | undefined;
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
      pool ??= nodeHttpPost(8);
      const r = await authenticate(spec.keystone, {
        trustId, post: pool.post, timeoutMs: spec.timeoutMs, retries: spec.retries, nocatalog: opts.catalog === false, text: true,
      });
      return { tokenId: r.tokenId, expiresAt: r.expiresAt, body: r.text!, parsed: r.body };
    },
    dispose: async () => {
      pool?.close();
    },
  };
}
