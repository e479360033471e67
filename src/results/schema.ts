// The results file is the contract between measuring (bench/cli.ts), the exporters and the report.
// Bump SCHEMA_VERSION on any incompatible change; readers refuse other versions (see src/results/read.ts).

import type { StoreId, Topology } from '../designs/contract.ts';
import type { Runtime, WhatIf } from '../designs/descriptor.ts';
import type { DesignStatus } from './design-status.ts';
import type { TokenModelSection } from './model-section.ts';
import type { MetricName } from './metrics.ts';

export type { MetricName } from './metrics.ts';
export type { DesignStatus } from './design-status.ts';

export const SCHEMA_VERSION = 2 as const;

/** incremental: one worker per trial, read as it grows; fresh: one worker per (N, trial). */
export type Protocol = 'incremental' | 'fresh';

/** One memory reading of one fresh child process holding `n` cached objects. All values in bytes. */
export interface Sample {
  n: number;
  trial: number;
  /** the child's own RSS reading (process.memoryUsage().rss; /proc/self/statm for python), after GC settled */
  rss: number;
  /** process.memoryUsage() inside a node child; absent for the python designs (no V8 heap) */
  heapUsed?: number;
  heapTotal?: number;
  external?: number;
  arrayBuffers?: number;
  /** the child's RSS read by the parent through pidusage (/proc/<pid>/stat) at the same moment */
  pidusageRss: number;
  /** designs with a store: the bytes the store says it holds (Redis used_memory, memcached bytes) */
  storeUsedMemory?: number;
  /** designs with a private store: RSS of the store's server process, read with pidusage */
  storeRss?: number;
  /** open file descriptors of the child, and how many of them are sockets, read from /proc/<pid>/fd */
  fds?: number;
  sockets?: number;
  /** python design's cross-check worker: tracemalloc bytes reported by the python child */
  tracemalloc?: number;
  /** the same worker: tracemalloc's own bookkeeping */
  tracemallocOwn?: number;
  /** python designs' RSS workers: pymalloc's arena bytes, and the bytes glibc's malloc got from the OS */
  pymallocArenas?: number;
  mallocHeld?: number;
  /** tokens the worker obtained from Keystone, warm-up included (counted client-side) */
  tokens?: number;
  /** wall time the child spent building the n objects */
  buildMs?: number;
}

/** A sample that did not produce a reading (crash, OOM, timeout, Keystone or Redis error). */
export interface FailedSample {
  n: number;
  trial: number;
  reason: string;
}

/** Per-object cost: least-squares slope of bytes over n, summarised across trials. */
export interface Slope {
  /** mean over trials of the per-trial slope, bytes per object */
  bytes: number;
  /** 95 % confidence interval of the mean slope (Student t over trials; bootstrap when t is not applicable) */
  ci95: [number, number];
  /** coefficient of determination of the fit over all samples of all trials */
  r2: number;
  /** the per-trial slopes the mean was taken over */
  trialSlopes: number[];
  /** intercept of the pooled fit, bytes at n = 0 */
  intercept: number;
  /** each trial's own intercept, by trial number (trials differ in their baseline: another process each) */
  trialIntercepts?: Record<string, number>;
  /**
   * The one-off step at N = 0: mean over trials of (the fit's intercept − the N = 0 reading), with its 95 % CI.
   * The slope is fitted to the build's readings (N > 0) only, so a difference between the state right after the
   * warm-up and the state while building (memory the warm-up freed and the build reuses, a pool grown once) is
   * reported here and never as a per-object cost. Absent with fewer than two trials that have an N = 0 reading.
   */
  zeroStep?: { bytes: number; ci95: [number, number] };
  /**
   * Process RSS only: drops of megabytes at one reading of a growing cache (memory handed back to the OS), taken
   * out of the fit (src/stats/releases.ts). Absent when there were none.
   */
  releases?: Release[];
  /** standard deviation of one reading about its trial's fitted line (same unit as the metric) */
  readingSd?: number;
  /** whether the figure is resolved at the measured N (absent in files from before schema 2) */
  resolution?: Resolution;
}

/** One drop of a process's RSS taken out of a trial's line: the trial, the N it was read at, and its size. */
export interface Release {
  trial: number;
  n: number;
  bytes: number;
}

/**
 * A per-object figure that is not resolved at the measured N: its CI includes 0, its sign is impossible, or the
 * growth it implies is below the scatter of one reading (src/stats/per-object.ts).
 */
export interface Resolution {
  resolved: boolean;
  /** the largest N measured */
  atN: number;
  /** not resolved: about the N at which the CI would exclude 0 at this noise, when that can be said */
  needsN?: number;
  /** not resolved: the per-object cost is below this (the CI's upper bound), when that is positive */
  below?: number;
}

/**
 * The snapshot cross-check: retained size of each held entry by the dominator tree, of a V8 heap snapshot (node)
 * or of the python worker's object graph (python).
 */
export interface SnapshotCheck {
  n: number;
  retainedPerEntry: number;
  /** the heapUsed slope (python: the tracemalloc slope) minus the snapshot's figure, relative to the snapshot's */
  relativeDifference?: number;
  /** where the bytes of one entry go: owner path / constructor, bytes per entry */
  breakdown: Array<{ owner: string; bytesPerEntry: number }>;
}

/** One allocation site of the python cross-check worker: traced bytes (and blocks) it added per entry. */
export interface AllocationSite {
  site: string;
  bytesPerEntry: number;
  blocksPerEntry: number;
}

/**
 * A python design's cross-check worker (tracemalloc on, never measured for RSS): its readings up to n, from which
 * perObject.tracemalloc is taken, and the allocation sites that grew the most from N = 0 to n.
 */
export interface PythonCrossCheck {
  n: number;
  samples: Sample[];
  topSites: AllocationSite[];
}

/**
 * RSS per object of a python design split by who can see the bytes, each part from its own instrument:
 * retained = the object graph's retained size per entry; allocatorOverhead = tracemalloc slope − retained (bytes
 * Python's allocators handed out that no object's sys.getsizeof reports); native = the allocators' own slope
 * in the RSS workers (pymalloc's arenas + what glibc's malloc got from the OS) − the tracemalloc slope (pool and chunk
 * slack, and malloc'd memory outside Python's allocators: C libraries); unaccounted = RSS slope − the three.
 * sumRelativeDifference = (retained + allocatorOverhead + native − RSS) / RSS: the allocators' count against RSS.
 */
export interface PythonRssSplit {
  retained: number;
  allocatorOverhead: number;
  /** absent when the allocators' count is not resolved at the measured N (then `allocators` says so) */
  native?: number;
  unaccounted?: number;
  sumRelativeDifference?: number;
  allocators?: Resolution;
}

/** RSS of a node worker split into live heap, V8 heap slack and memory outside the V8 heap, per object. */
export interface RssBreakdown {
  liveHeap: number;
  heapSlack: number;
  outsideHeap: number;
}

export interface LatencyResult {
  /** e.g. "no cache (new client + auth)", "cached full client (lookup)" */
  name: string;
  design: string | null;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** relative margin of error, percent */
  rme: number;
  samples: number;
  opsPerSec: number;
}

/** The real Aodh notifier without a cache, driven for a number of notifications (the "no cache" baseline). */
export interface NotifierBaseline {
  notifications: number;
  /** POSTs the receiver got, and how many carried an X-Auth-Token */
  received: number;
  withToken: number;
  tokensPerNotification: number;
  msPerNotification: number;
  /** RSS growth of the notifier process over the run, per notification (what a notification leaves behind) */
  rssGrowthPerNotification: number;
  /** 'keystone': counted by the stand-in; 'client': POSTs the notifier process sent */
  tokensCountedBy: 'keystone' | 'client';
}

export interface DesignResult {
  id: string;
  title: string;
  runtime?: Runtime;
  topology?: Topology;
  /** the store the design keeps its records in; its figures are storeUsedMemory and storeRss */
  store?: StoreId;
  /** a what-if: the design it changes and how (its saving = that design's headline − this one's) */
  whatIf?: WhatIf;
  /** the sizes this design was measured at */
  sizes?: number[];
  /** trials taken (fewer than asked when the CI reached its target first) */
  trials?: number;
  /** the figure that stands for the design in the report, the model and the planner */
  headline?: { metric: MetricName; bytes: number } | null;
  snapshot?: SnapshotCheck;
  rssBreakdown?: RssBreakdown;
  /** python: the tracemalloc worker's readings and allocation sites */
  crossCheck?: PythonCrossCheck;
  pythonRssSplit?: PythonRssSplit;
  /** wall time of this design's samples, ms */
  wallMs?: number;
  /** "ok" when every sample succeeded, "partial" when some failed, "failed"/"unavailable" when none succeeded */
  status: DesignStatus;
  /** why the design is unavailable/failed, with the command that fixes it when there is one */
  note?: string;
  samples: Sample[];
  failures: FailedSample[];
  perObject: Partial<Record<MetricName, Slope>>;
  /** tokens the Keystone issued while this design's samples were built */
  tokensIssued: number;
}

export interface Meta {
  tool: string;
  version: string;
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpu: string;
  cpus: number;
  totalMemBytes: number;
  hostname: string;
  commit: string;
  command: string;
  startedAt: string;
  durationMs: number;
  sizes: number[];
  trials: number;
  /** which Keystone served the run: the embedded stand-in or a real one (URL and version, never a secret) */
  keystone: {
    kind: 'stand-in' | 'real'; url: string; version: string; catalogServices?: number; server?: string;
    /** how node workers' ctx.authenticate got tokens: the stand-in's issuer in-process, or over HTTP */
    tokenPath?: 'in-process' | 'http';
  };
  /** the stores the run used: private (one server per sample) or the user's */
  stores: Partial<Record<StoreId, { kind: 'private' | 'external'; version: string }>>;
  /** incremental: one worker per trial, read as it grows; fresh: one worker per (N, trial) */
  protocol?: Protocol;
  /** workers measured at once */
  jobs?: number;
  /** tinybench's time budget per latency task, ms (absent: the latency phase did not run, or 300 before it was recorded) */
  latencyMs?: number;
  /** wall time of each phase of the run, ms */
  phases?: Record<string, number>;
  /** creations each worker runs before its first reading, when --warmup set it for every design */
  warmup?: number;
  /** the run plan the run measured: trusts, trial policy, and each design's sizes, warm-up and heap limit */
  plan?: {
    trusts: number;
    minTrials: number;
    /** the CI half-width, as a share of the slope, at which no more trials were added */
    targetCi: number;
    snapshotN: number;
    designs: Record<string, { sizes: number[]; warmup: number; maxOldSpaceMb?: number }>;
  };
  /** environment variables set for the sample workers */
  workerEnv?: Record<string, string>;
  /** node flags of the sample workers */
  workerFlags?: string[];
  /** true when the run was interrupted and this file holds only the samples that completed */
  partial?: boolean;
}

export interface Results {
  schema: typeof SCHEMA_VERSION;
  meta: Meta;
  designs: DesignResult[];
  latency?: LatencyResult[];
  /** Aodh's own notifier, no cache: tokens and time per notification */
  notifier?: NotifierBaseline;
  /** the reference figure from the 2015 post: (67360 - 20216) KB / 1000 objects */
  reference: { label: string; bytesPerObject: number };
  /** tokens/day and cache memory per design in the post's scenario, from the measured costs (src/model/results-model.ts) */
  model?: TokenModelSection;
}

export const POST_REFERENCE = {
  label: 'post (2015): python-keystoneclient v3, ps RSS (67360 KB − 20216 KB) / 1000',
  bytesPerObject: ((67360 - 20216) * 1024) / 1000,
};
