// The results file is the contract between measuring (bench/cli.ts), the exporters and the report.
// Bump SCHEMA_VERSION on any incompatible change; readers refuse other versions (see src/results/read.ts).

import type { TokenModelSection } from '../model/results-model.ts';

export const SCHEMA_VERSION = 1 as const;

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
  /** Redis designs: INFO memory used_memory of the private redis-server after the objects were stored */
  redisUsedMemory?: number;
  /** Redis designs: RSS of the redis-server process, read with pidusage */
  redisRss?: number;
  /** python design: tracemalloc bytes reported by the python child */
  tracemalloc?: number;
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
}

export type MetricName =
  | 'heapUsed'
  | 'external'
  | 'rss'
  | 'pidusageRss'
  | 'redisUsedMemory'
  | 'redisRss'
  | 'tracemalloc';

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

export interface DesignResult {
  id: string;
  title: string;
  /** "ok" when every sample succeeded, "partial" when some failed, "failed"/"unavailable" when none succeeded */
  status: 'ok' | 'partial' | 'failed' | 'unavailable';
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
  keystone: { kind: 'stand-in' | 'real'; url: string; version: string; catalogServices?: number; server?: string };
  redis: { kind: 'private' | 'external'; version: string };
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
  /** the reference figure from the 2015 post: (67360 - 20216) KB / 1000 objects */
  reference: { label: string; bytesPerObject: number };
  /** tokens/day and cache memory per design in the post's scenario, from the measured costs (src/model/results-model.ts) */
  model?: TokenModelSection;
}

export const POST_REFERENCE = {
  label: 'post (2015): python-keystoneclient v3, ps RSS (67360 KB − 20216 KB) / 1000',
  bytesPerObject: ((67360 - 20216) * 1024) / 1000,
};
