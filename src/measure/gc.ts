// Settling the heap before a reading. One gc() is not enough: weak callbacks, finalizers and V8's incremental
// marking leave garbage behind, so collect until heapUsed stops moving (as memlab and pyperf's tracemalloc mode do
// with repeated collections), yielding to the event loop between rounds so pending callbacks can run.
import type { MemoryReading } from './protocol.ts';

export function readMemory(): MemoryReading {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

export async function settleGc(opts: { minRounds?: number; maxRounds?: number; toleranceBytes?: number } = {}): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the worker must run with --expose-gc');
  const { minRounds = 3, maxRounds = 15, toleranceBytes = 2048 } = opts;
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 1; round <= maxRounds; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    const heapUsed = process.memoryUsage().heapUsed;
    if (round >= minRounds && Math.abs(previous - heapUsed) <= toleranceBytes) return round;
    previous = heapUsed;
  }
  return maxRounds;
}
