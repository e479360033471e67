// Builds n cache entries with a bounded number of authentications in flight: enough to keep the stand-in busy,
// few enough not to open thousands of connections at once.
import type { CacheDesign } from '../designs/design.ts';

export async function buildEntries(design: CacheDesign, trustIds: string[], concurrency: number): Promise<unknown[]> {
  const entries: unknown[] = new Array(trustIds.length); // pre-sized: the array's growth is not per-object cost
  let next = 0;
  const lane = async () => {
    while (next < trustIds.length) {
      const i = next++;
      entries[i] = await design.create(trustIds[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, trustIds.length)) }, lane));
  return entries;
}
