// Settling the heap before a reading. One gc() is not enough: weak callbacks, finalizers and V8's incremental
// marking leave garbage behind, so collect until heapUsed stops moving (as memlab and pyperf's tracemalloc mode
// do with repeated collections), yielding to the event loop between rounds so pending callbacks can run. Then
// wait for RSS as well: the allocator hands freed memory back a little later.
//
// Each collection runs as a task of its own (gc({ execution: 'async' })), not inside the JavaScript call that
// asks for it. A collection called synchronously runs with JavaScript frames on the stack, and the heapUsed read
// after it came out up to ~150 KB low at about one reading in fifteen (a heap snapshot of the same moment grew
// smoothly); collected from a task, one worker's readings scatter by ~15 KB instead of ~55 KB.
import { setFlagsFromString } from 'node:v8';
import type { MemoryReading } from '../protocol.ts';

export function readMemory(): MemoryReading {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

const tick = (ms = 0) => new Promise((resolve) => (ms ? setTimeout(resolve, ms) : setImmediate(resolve)));

export async function settleGc(opts: { minRounds?: number; maxRounds?: number; toleranceBytes?: number } = {}): Promise<number> {
  const exposed = (globalThis as { gc?: (o: { type: 'major'; execution: 'async' }) => Promise<void> }).gc;
  if (!exposed) throw new Error('the worker must run with --expose-gc');
  const gc = () => exposed({ type: 'major', execution: 'async' });
  const { minRounds = 2, maxRounds = 15, toleranceBytes = 2048 } = opts;
  let previous = Number.POSITIVE_INFINITY;
  let rounds = maxRounds;
  // One compacting collection for the reading: heapUsed then counts live objects, not the holes between them
  // (which depend on how garbage and entries interleaved during the build). Compacting every GC of the build, or
  // every round here, would cost minutes at large N, so the flag is on for the first round only.
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    await gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
  for (let round = 1; round <= maxRounds; round++) {
    if (round > 1) await gc();
    await tick();
    const heapUsed = process.memoryUsage().heapUsed;
    if (round >= minRounds && Math.abs(previous - heapUsed) <= toleranceBytes) {
      rounds = round;
      break;
    }
    previous = heapUsed;
  }
  // RSS: until two readings 5 ms apart agree within a page-ish tolerance, for at most ~0.4 s (with no
  // background thread, the first pair agreed at every reading measured).
  let rss = process.memoryUsage.rss();
  for (let i = 0; i < 80; i++) {
    await tick(5);
    const now = process.memoryUsage.rss();
    if (Math.abs(now - rss) <= 16 * 1024) break;
    rss = now;
  }
  return rounds;
}
