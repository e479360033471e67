// The operations whose latency is the other half of the trade-off: what the notifier did (new client +
// authentication: one token minted per notification), what a first miss costs for each design, and what a hit
// costs once the entry is cached (a Map lookup, or a Redis GET over the unix socket).
import { KeystoneV3Client } from '../keystone/client.ts';
import type { CacheDesign, DesignContext } from '../designs/design.ts';
import { designById } from '../designs/index.ts';

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

export async function designTasks(id: string, ctx: DesignContext, trustIds: string[]): Promise<{ tasks: LatencyTask[]; close: () => Promise<void> }> {
  const info = designById(id);
  if (!info?.load) return { tasks: [], close: async () => {} };
  const design: CacheDesign = await (await info.load())(ctx);
  const cache = new Map<string, unknown>();
  try {
    for (const t of trustIds) cache.set(t, await design.create(t));
  } catch (err) {
    await design.close().catch(() => {}); // its pools and Redis connection would otherwise outlive the failure
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
    close: () => design.close(),
  };
}

/** The notifier as it was: a new client and a new token for every notification. */
export function noCacheTask(ctx: DesignContext, trustIds: string[]): LatencyTask {
  const nextTrust = cycler(trustIds);
  return {
    name: 'no cache: new client + authenticate (one token per notification)',
    design: null,
    fn: async () => {
      const client = new KeystoneV3Client(ctx.keystone, nextTrust(), { timeoutMs: ctx.timeoutMs });
      const token = await client.getToken();
      await client.close();
      return token;
    },
  };
}
