// The analysis step between measuring and the results document: a design's raw samples become per-object
// slopes with their resolution, the headline figure, the heap-snapshot cross-check and the RSS breakdown.
import type { DesignDescriptor } from '../designs/descriptor.ts';
import type { AllocationSite, DesignResult, FailedSample, RssBreakdown, Sample, SnapshotCheck } from '../results/schema.ts';
import { perObjectAll, perObjectSlope } from '../stats/per-object.ts';

import { headline, isResolved } from './headline.ts';
import { pythonRssSplit, tracemallocSlope } from './python-split.ts';

export interface DesignTally {
  samples: Sample[];
  failures: FailedSample[];
  tokensIssued: number;
  snapshot?: SnapshotCheck;
  /** python: the cross-check worker's readings (tracemalloc, allocators) and its top allocation sites */
  crossCheck?: { samples: Sample[]; sites: AllocationSite[] };
  wallMs: number;
  trials: number;
}

export const emptyTally = (): DesignTally => ({ samples: [], failures: [], tokensIssued: 0, wallMs: 0, trials: 0 });

/**
 * RSS per object split as V8 sees it: live heap, heap reserved but not used, and the rest of the process. Only
 * when all three slopes are resolved: V8 commits its heap in 256 KB pages, so at small N heapTotal can stay flat
 * while the heap grows inside it, and the parts would not add up to the RSS.
 */
function rssBreakdown(p: DesignResult['perObject'], heapTotal: Parameters<typeof isResolved>[0]): RssBreakdown | undefined {
  const { rss, heapUsed } = p;
  if (!isResolved(rss) || !isResolved(heapUsed) || !isResolved(heapTotal)) return undefined;
  return { liveHeap: heapUsed.bytes, heapSlack: heapTotal.bytes - heapUsed.bytes, outsideHeap: rss.bytes - heapTotal.bytes };
}

export function designResult(d: Pick<DesignDescriptor, 'id' | 'title' | 'runtime' | 'topology' | 'needs' | 'whatIf'>, sizes: number[],
  tally: DesignTally | undefined, unavailable?: string): DesignResult {
  const samples = tally?.samples ?? [];
  const failures = tally?.failures ?? [];
  const status: DesignResult['status'] = unavailable ? 'unavailable' : samples.length === 0 ? 'failed' : failures.length > 0 ? 'partial' : 'ok';
  const perObject = perObjectAll(samples);
  // python: tracemalloc from the cross-check worker only (the RSS workers do not trace)
  const crossSamples = tally?.crossCheck?.samples ?? [];
  const traced = tracemallocSlope(crossSamples);
  if (traced) perObject.tracemalloc = traced;
  const heapTotal = perObjectSlope(samples, 'heapTotal');
  const result: DesignResult = {
    id: d.id,
    title: d.title,
    runtime: d.runtime,
    topology: d.topology,
    ...(d.needs[0] ? { store: d.needs[0] } : {}),
    ...(d.whatIf ? { whatIf: d.whatIf } : {}),
    sizes,
    trials: tally?.trials ?? 0,
    status,
    samples: [...samples].sort((a, b) => a.trial - b.trial || a.n - b.n),
    failures,
    perObject,
    headline: samples.length ? headline({ perObject }) : null,
    tokensIssued: tally?.tokensIssued ?? 0,
    wallMs: Math.round(tally?.wallMs ?? 0),
  };
  const breakdown = rssBreakdown(perObject, heapTotal);
  if (breakdown) result.rssBreakdown = breakdown;
  if (tally?.crossCheck) {
    const c = tally.crossCheck;
    result.crossCheck = { n: Math.max(0, ...c.samples.map((s) => s.n)), samples: [...c.samples].sort((a, b) => a.n - b.n), topSites: c.sites };
    const split = pythonRssSplit(samples, perObject.rss, tally.snapshot?.retainedPerEntry, c.samples);
    if (split) result.pythonRssSplit = split;
  }
  if (tally?.snapshot) {
    // the slope the snapshot explains: the V8 heap's, or for python the bytes its allocators were asked for
    const heap = d.runtime === 'python' ? perObject.tracemalloc : perObject.heapUsed;
    const snap = { ...tally.snapshot };
    // compared only with a resolved slope: an unresolved one is no figure to compare
    if (heap && isResolved(heap)) snap.relativeDifference = (heap.bytes - snap.retainedPerEntry) / snap.retainedPerEntry;
    result.snapshot = snap;
  }
  if (unavailable) result.note = unavailable;
  else if (failures.length) result.note = `${failures.length} sample(s) failed: ${[...new Set(failures.map((f) => f.reason))].slice(0, 3).join('; ')}`;
  return result;
}
