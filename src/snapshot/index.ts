// Independent cross-check of per-object memory: from a V8 heap snapshot of a worker holding N entries, the
// retained size of each entry (dominator tree) and where those bytes go.
import { readHeapSnapshot } from './parse.ts';
import { computeDominators } from './dominators.ts';
import { heldEntries, type HeldOptions, type RetainedStats } from './held.ts';
import { breakdown, type BreakdownOptions, type BreakdownRow } from './breakdown.ts';

export type AnalyseOptions = Partial<HeldOptions> & BreakdownOptions;

export interface HeldEntriesAnalysis {
  count: number;
  retainedPerEntry: RetainedStats;
  /** The holder Array's pointer slot per entry, not part of retainedPerEntry. */
  arraySlotBytes: 8;
  breakdown: BreakdownRow[];
}

export function analyseHeldEntries(path: string, opts: AnalyseOptions = {}): HeldEntriesAnalysis {
  const { holderClass = 'KcbHeldEntries', field = 'entries', ...breakdownOpts } = opts;
  const snapshot = readHeapSnapshot(path);
  const doms = computeDominators(snapshot);
  const held = heldEntries(snapshot, { holderClass, field }, doms);
  return {
    count: held.count,
    retainedPerEntry: held.retainedPerEntry,
    arraySlotBytes: held.arraySlotBytes,
    breakdown: breakdown(snapshot, doms, held.entryNodes, breakdownOpts),
  };
}

export { readHeapSnapshot, parseHeapSnapshot, type HeapSnapshot } from './parse.ts';
export { computeDominators, type DominatorResult } from './dominators.ts';
export { heldEntries, type HeldEntries, type HeldOptions, type RetainedStats } from './held.ts';
export { breakdown, type BreakdownOptions, type BreakdownRow } from './breakdown.ts';
