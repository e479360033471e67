// Messages between the parent and a sample worker, the same for both runtimes (node: the fork IPC channel;
// python: one JSON line each way). Credentials travel here, never in argv or the environment.
//
//   parent → start        worker opens the design (python: and warms up)   → ready
//   parent → grow(discard) node: the warm-up, through the path the build takes, entries dropped → reading n = 0
//   parent → grow(ids)    worker creates one entry per trust id, settles   → reading (n so far)
//   …                     (one grow per size of the ladder)
//   parent → snapshot     a heap snapshot (node) or object graph (python) of the held entries → snapshot-written
//   parent → release      worker closes the design and exits 0
// Readings are taken with every entry alive; the parent adds its outside view (RSS by pidusage, open file
// descriptors, the store's memory) before it sends the next message.
import type { StoreId, StoreLocation } from '../designs/contract.ts';
import type { AuthTarget } from '../keystone/auth.ts';
import type { InProcessOptions } from '../keystone/in-process-post.ts';
import type { AllocationSite, Sample } from '../results/schema.ts';

export type { AllocationSite } from '../results/schema.ts';

/**
 * What a worker reads of its own memory: the inside part of a Sample (tracemalloc and its own bookkeeping: python's
 * cross-check worker; pymalloc's arenas and malloc's heap: python's RSS workers).
 */
export type MemoryReading = Pick<Sample, 'rss' | 'heapUsed' | 'heapTotal' | 'external' | 'arrayBuffers' | 'tracemalloc' | 'tracemallocOwn' | 'pymallocArenas' | 'mallocHeld'>;


/** What a worker needs to build the design's context; plain data, so it crosses the process boundary. */
export interface ContextSpec {
  keystone: AuthTarget;
  timeoutMs: number;
  retries: number;
  stores: Partial<Record<StoreId, StoreLocation>>;
  secret?: string;
  /**
   * node: take tokens from the stand-in's issuer run inside the worker instead of over HTTP (the in-process token
   * path, src/keystone/in-process-post.ts); absent: over HTTP. Never with a real Keystone.
   */
  inProcess?: InProcessOptions;
}

export interface StartMessage {
  type: 'start';
  /** python: the module to load (node workers are bundled with theirs) */
  module?: string;
  ctx: ContextSpec;
  /** creations the worker runs before the n = 0 reading, all with the warm-up trust, then drops */
  warmup: number;
  warmupTrustId: string;
  /** the most entries this worker will hold: the holder is sized for them before the first reading */
  capacity: number;
  /** creations in flight while building (node) */
  concurrency: number;
  /** python: trace allocations with tracemalloc and read the allocators (the cross-check worker only) */
  trace?: boolean;
  /**
   * node: bytes of heap the worker allocates and keeps before its first reading, different in every trial. The
   * heap's used size moves in 256 KB pages; a process that allocates the same way every time would land on the
   * same page boundaries in every trial, an error that does not average out. Shifting the start dithers it.
   */
  padBytes?: number;
}

export type ParentMessage =
  | StartMessage
  /** discard: build through the very same path, then drop the entries (node's warm-up) */
  | { type: 'grow'; trustIds: string[]; discard?: boolean }
  | { type: 'snapshot'; path: string }
  | { type: 'release' };

export type WorkerMessage =
  | { type: 'ready'; memory: MemoryReading }
  | { type: 'reading'; n: number; memory: MemoryReading; buildMs: number; tokens: number }
  /** python: with the allocation sites that grew the most, when tracing */
  | { type: 'snapshot-written'; sites?: AllocationSite[] }
  /** setup: failed before building any entry, so the failure does not depend on n */
  | { type: 'error'; message: string; setup?: boolean };
