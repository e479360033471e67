// The context a node design receives, built inside the worker from the plain ContextSpec: ctx.authenticate
// goes through one transport for the whole process, so a design needs no HTTP code of its own. Over HTTP that is
// node's own http agent (src/keystone/node-http-post.ts): undici's kept a per-connection request history that
// scattered heap readings by ~20 KB and grew through the first ~2,000 requests of a build. With the in-process
// token path it is the stand-in's issuer itself (src/keystone/in-process-post.ts).
import { authenticate, type Post } from '../../keystone/auth.ts';
import { nodeHttpPost } from '../../keystone/node-http-post.ts';
import { inProcessPost } from '../../keystone/in-process-post.ts';
import type { DesignContext } from '../../designs/contract.ts';
import type { ContextSpec } from '../protocol.ts';

export function makeContext(spec: ContextSpec, clock?: DesignContext['clock']): DesignContext & { dispose(): Promise<void> } {
  let pool: { post: Post; close(): void } | undefined;
  const open = () => (spec.inProcess ? { post: inProcessPost(spec.inProcess, spec.keystone.password), close() {} } : nodeHttpPost(8));
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
      pool ??= open();
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
