// The post's question answered from a results file: for the post's scenario (src/model/tokens.ts POST_SCENARIO:
// 1 M alarms, 1 % firing every 60 s, 10 k trusts, 4 workers, 3600 s tokens), how many tokens a day each design
// mints and how much memory its cache takes per worker, using the per-object costs this run measured. Pure: the
// bench stores it in the results' `model` section, and the report recomputes it when an older file lacks it.
import { headline } from '../analysis/headline.ts';
import type { DesignResult, Results } from '../results/schema.ts';
import type { TokenModelRow, TokenModelSection } from '../results/model-section.ts';
import { POST_SCENARIO, modelScenario, type CacheKind, type ScenarioParams } from './tokens.ts';

export type { TokenModelRow, TokenModelSection } from '../results/model-section.ts';


/** Which model topology a measured design is, from its descriptor (a schema 1 file: whether it used a store). */
export function cacheOf(d: Pick<DesignResult, 'topology' | 'store' | 'perObject'>): CacheKind {
  return d.topology ?? (d.store || d.perObject.storeUsedMemory ? 'shared' : 'per-worker');
}

const positive = (v: number | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);

/** Memory per cached object: the design's headline figure (src/analysis/headline.ts), or null when not resolved. */
export function perObjectCost(d: DesignResult): { bytes: number; metric: 'rss' | 'pidusageRss' | 'heapUsed' | 'tracemalloc' } | null {
  const h = headline(d);
  return h ? { bytes: h.bytes, metric: h.metric as 'rss' | 'pidusageRss' | 'heapUsed' | 'tracemalloc' } : null;
}

export function tokenModelSection(r: Results, scenario: Partial<ScenarioParams> = {}): TokenModelSection {
  const base: ScenarioParams = { ...POST_SCENARIO, ...scenario };
  const run = (p: Partial<ScenarioParams>) => modelScenario({ ...base, ...p });
  const row = (id: string, label: string, cache: CacheKind, cost: { bytes: number; metric: TokenModelRow['bytesMetric'] } | null,
    redisBytesPerKey: number | null, status?: DesignResult['status']): TokenModelRow => {
    const bytesPerObject = cost?.bytes ?? null;
    const m = run({ design: cache, bytesPerObject: bytesPerObject ?? undefined, redisBytesPerKey: redisBytesPerKey ?? undefined });
    const worst = run({ design: cache, repeatActions: 'worst' });
    return {
      id, label, cache, ...(status ? { status } : {}),
      tokensPerDay: m.tokensPerDay,
      worstCaseTokensPerDay: worst.tokensPerDay,
      shareOfNoCache: m.shareOfNoCache,
      entriesPerWorker: m.cacheEntriesPerWorker,
      bytesPerObject: cache === 'none' ? 0 : bytesPerObject,
      ...(cost && cache !== 'none' ? { bytesMetric: cost.metric } : {}),
      bytesPerWorker: m.cacheBytesPerWorker,
      redisBytesPerKey: cache === 'shared' ? redisBytesPerKey : null,
      sharedStoreKeys: m.sharedStoreKeys,
      sharedStoreBytes: m.sharedStoreBytes,
    };
  };
  // The no-cache row rests on Aodh's own notifier when the run drove it: its tokens per notification scale the model's.
  const perNotification = r.notifier && Number.isFinite(r.notifier.tokensPerNotification) ? r.notifier.tokensPerNotification : undefined;
  const noCacheLabel = perNotification === undefined
    ? 'no cache (a new client per notification)'
    : `no cache (Aodh's notifier, measured: ${perNotification.toFixed(2)} token per notification)`;
  const measuredNoCache = row('no-cache', noCacheLabel, 'none', null, null);
  const noCache = perNotification === undefined ? measuredNoCache
    : { ...measuredNoCache, tokensPerDay: measuredNoCache.tokensPerDay * perNotification, worstCaseTokensPerDay: measuredNoCache.worstCaseTokensPerDay * perNotification };
  const worstNoCache = run({ design: 'none', repeatActions: 'worst' });
  const rows: TokenModelRow[] = [
    noCache,
    // the worst case has no cache either: its tokens/day is the no-cache figure when every alarm repeats
    { ...noCache, id: 'no-cache-worst', label: 'no cache, worst case (every alarm repeats its action)',
      tokensPerDay: worstNoCache.tokensPerDay, shareOfNoCache: worstNoCache.tokensPerDay / noCache.tokensPerDay },
    ...r.designs.map((d) => row(d.id, d.title, cacheOf(d), perObjectCost(d),
      cacheOf(d) === 'shared' ? positive(d.perObject.storeUsedMemory?.bytes) : null, d.status)),
    row('post-2015', `post (2015): ${Math.round(r.reference.bytesPerObject / 102.4) / 10} KB per cached client`, 'per-worker',
      positive(r.reference.bytesPerObject) === null ? null : { bytes: r.reference.bytesPerObject, metric: 'reference' }, null),
  ];
  const { alarms, firingFraction, evaluationIntervalS, trusts, workers, tokenLifetimeS, refreshMarginS, tokenModel } = base;
  return { scenario: { alarms, firingFraction, evaluationIntervalS, trusts, workers, tokenLifetimeS, refreshMarginS, tokenModel }, rows };
}

const finiteOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));

/** The results' stored section when it is well-formed, else the section recomputed from the measurements. */
export function modelSectionOf(r: Results): TokenModelSection {
  // a file is user input: check the stored section's shape before trusting it
  const m = r.model as Partial<TokenModelSection> | undefined;
  const ok = m && typeof m === 'object' && m.scenario && typeof m.scenario === 'object' && Array.isArray(m.rows) && m.rows.length > 0 &&
    m.rows.every((x) => x && typeof x.id === 'string' && typeof x.label === 'string' && ['none', 'per-worker', 'shared'].includes(x.cache) &&
      [x.tokensPerDay, x.worstCaseTokensPerDay, x.entriesPerWorker].every((v) => typeof v === 'number' && Number.isFinite(v)) &&
      [x.bytesPerObject, x.bytesPerWorker, x.sharedStoreBytes].every(finiteOrNull));
  return ok ? (m as TokenModelSection) : tokenModelSection(r);
}
