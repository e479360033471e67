// Messages between the parent (runner.ts) and a sample worker (bench/worker.ts), over the fork IPC channel.
// Credentials travel here, never in argv or the environment, so `ps` cannot show them.
import type { DesignContext } from '../designs/design.ts';

export interface MemoryReading {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface StartMessage {
  type: 'start';
  design: string;
  n: number;
  /** trustIds[0] warms up, trustIds[1..n] are cached */
  trustIds: string[];
  ctx: DesignContext;
  concurrency: number;
}

export interface ReadingMessage {
  type: 'reading';
  baseline: MemoryReading;
  memory: MemoryReading;
  redisUsedMemory?: number;
  /** external Redis only: used_memory before the build, so the parent can record the growth */
  redisUsedMemoryBaseline?: number;
  buildMs: number;
  /** tokens the worker obtained from Keystone (warm-up included) */
  tokens: number;
  /** how many GC rounds it took heapUsed to settle */
  gcRounds: number;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
  /** failed before building any entry (design set-up or warm-up), so the failure does not depend on n */
  setup?: boolean;
}

export type WorkerMessage = ReadingMessage | ErrorMessage;
export type ParentMessage = StartMessage | { type: 'release' };
