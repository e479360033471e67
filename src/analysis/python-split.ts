// A python design's per-object figures that need its cross-check worker: the tracemalloc slope (that worker's
// readings, never the RSS workers': tracing roughly doubles a process's memory) and the RSS split by who can see
// the bytes (src/results/schema.ts, PythonRssSplit): the RSS workers' own readings of pymalloc and malloc against
// their RSS, the cross-check worker's tracemalloc and object graph inside that.
import type { PythonRssSplit, Sample, Slope } from '../results/schema.ts';
import { perObjectSlope } from '../stats/per-object.ts';
import { isResolved } from './headline.ts';

export function tracemallocSlope(crossCheck: readonly Sample[]): Slope | undefined {
  return perObjectSlope(crossCheck, 'tracemalloc');
}

/** The allocators' own count per entry, in the RSS workers: pymalloc's arenas + the bytes glibc's malloc got from the OS. */
export function allocatorsSlope(samples: readonly Sample[]): Slope | undefined {
  return perObjectSlope(samples, 'allocatorsHeld');
}

/**
 * The split, when its parts have figures: a resolved RSS slope, the object graph's retained size and a resolved
 * tracemalloc slope; native, unaccounted and the sum check only when the allocators' count is resolved too (their
 * arenas and heap grow in steps a small entry's growth does not reach: then `allocators` says at which N).
 * Otherwise nothing: a part that was not measured is not a zero.
 */
export function pythonRssSplit(samples: readonly Sample[], rss: Slope | undefined, retained: number | undefined,
  crossCheck: readonly Sample[]): PythonRssSplit | undefined {
  const traced = tracemallocSlope(crossCheck);
  const held = allocatorsSlope(samples);
  if (!isResolved(rss) || retained === undefined || !isResolved(traced)) return undefined;
  const split: PythonRssSplit = { retained, allocatorOverhead: traced.bytes - retained };
  if (!isResolved(held)) {
    const why = (held as Slope | undefined)?.resolution;
    if (why) split.allocators = why;
    return split;
  }
  return {
    ...split,
    native: held.bytes - traced.bytes,
    unaccounted: rss.bytes - held.bytes,
    sumRelativeDifference: (held.bytes - rss.bytes) / rss.bytes,
  };
}
