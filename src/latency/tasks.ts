// The operations whose latency is the other half of the trade-off: what the notifier did (new client +
// authentication: one token minted per notification), what a first miss costs for each design, and what a hit
// costs once the entry is cached (a Map lookup, or a Redis GET over the unix socket).
import { pathToFileURL } from 'node:url';
import { KeystoneV3Client } from '../keystone/client.ts';
import type { CacheInstance, NodeDesignModule } from '../designs/contract.ts';
import type { DesignDescriptor } from '../designs/descriptor.ts';
import type { ContextSpec } from '../worker/protocol.ts';
import { makeContext } from '../worker/node/context.ts';
import { bundleOnce, stopBundling } from '../util/bundle.ts';

export interface LatencyTask {
  name: string;
  design: string | null;
  fn: () => Promise<unknown>;
}

/** Round-robins over the trusts so every call hits a different cached entry, as a notifier's stream would. */
function cycler<T>(items: T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length];
}

export async function designTasks(d: DesignDescriptor, spec: ContextSpec, trustIds: string[]): Promise<{ tasks: LatencyTask[]; close: () => Promise<void> }> {
  const id = d.id;
  // the module's esbuild bundle, as the sample workers and the describing child run it: the same code under any
  // loader (a .ts module needs none), and the harness's modules stay its own
  const file = await bundleOnce(`latency:${d.module}`, { file: d.module }, { name: 'latency', keepNames: true });
  await stopBundling();
  const mod = (await import(pathToFileURL(file).href)).default as NodeDesignModule;
  const ctx = makeContext(spec);
  let design: CacheInstance;
  try {
    design = await mod.open(ctx);
  } catch (err) {
    await ctx.dispose();
    throw err;
  }
  const cache = new Map<string, unknown>();
  try {
    for (const t of trustIds) cache.set(t, await design.create(t));
  } catch (err) {
    await design.close().catch(() => {}); // its pools and store connection would otherwise outlive the failure
    await ctx.dispose();
    throw err;
  }
  const nextTrust = cycler(trustIds);
  const hit = async () => {
    const entry = cache.get(nextTrust())!;
    return design.token(entry);
  };
  const missTrusts = cycler(trustIds);
  const miss = async () => design.token(await design.create(missTrusts()));
  return {
    tasks: [
      { name: `${id}: cached hit (lookup → token)`, design: id, fn: hit },
      { name: `${id}: first miss (authenticate + store)`, design: id, fn: miss },
    ],
    close: async () => {
      await design.close();
      await ctx.dispose();
    },
  };
}

/** The notifier as it was: a new client and a new token for every notification. */
export function noCacheTask(ctx: Pick<ContextSpec, 'keystone' | 'timeoutMs' | 'retries'>, trustIds: string[]): LatencyTask {
  const nextTrust = cycler(trustIds);
  return {
    name: 'no cache: new client + authenticate (one token per notification)',
    design: null,
    fn: async () => {
      const client = new KeystoneV3Client(ctx.keystone, nextTrust(), { timeoutMs: ctx.timeoutMs, retries: ctx.retries });
      const token = await client.getToken();
      await client.close();
      return token;
    },
  };
}
