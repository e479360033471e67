// The model section of a results file: tokens/day and cache memory per design in the post's scenario. Its shape
// belongs to the results contract; src/model/results-model.ts computes it.
import type { Topology } from '../designs/contract.ts';
import type { DesignStatus } from './design-status.ts';

/** none: a new client per notification; per-worker: one cache per notifier process; shared: one store for all. */
export type CacheKind = 'none' | Topology;

export interface TokenModelRow {
  /** 'no-cache', 'no-cache-worst', a design id, or 'post-2015' */
  id: string;
  label: string;
  /** the cache topology the design has: none, one cache per worker, one cache shared by all workers */
  cache: CacheKind;
  /** the design's status in this run; absent for the rows that are not measured designs */
  status?: DesignStatus;
  tokensPerDay: number;
  /** when every alarm repeats its action at every evaluation (the post's worst case) */
  worstCaseTokensPerDay: number;
  shareOfNoCache: number;
  /** in-process entries one worker holds after a day (trusts it has seen) */
  entriesPerWorker: number;
  /** memory per cached object (see bytesMetric); null when not measured */
  bytesPerObject: number | null;
  /**
   * which slope bytesPerObject is: the RSS slope (the child's own reading, else pidusage's, as for python) when
   * its 95 % CI excludes 0; otherwise heapUsed + external (small objects at small N: RSS moves in pages and its
   * slope is noise); 'reference' for the post's figure
   */
  bytesMetric?: 'rss' | 'pidusageRss' | 'heapUsed' | 'tracemalloc' | 'reference';
  /** entriesPerWorker × bytesPerObject, paid in every worker process */
  bytesPerWorker: number | null;
  /** shared designs: Redis used_memory per key, and the keys alive (trusts with a live token) */
  redisBytesPerKey: number | null;
  sharedStoreKeys: number | null;
  /** paid once, in the Redis server, however many workers there are */
  sharedStoreBytes: number | null;
}

export interface TokenModelSection {
  scenario: {
    alarms: number;
    firingFraction: number;
    evaluationIntervalS: number;
    trusts: number;
    workers: number;
    tokenLifetimeS: number;
    refreshMarginS: number;
    tokenModel: 'renewal' | 'window';
  };
  rows: TokenModelRow[];
}
