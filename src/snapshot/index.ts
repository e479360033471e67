// Independent cross-check of per-object memory: from a snapshot of a worker holding N entries (a V8 heap snapshot,
// or the python worker's object graph), the retained size of each entry (dominator tree) and where those bytes go.
import type { HeapGraph } from './graph.ts';
import { readHeapSnapshot } from './parse.ts';
import { readPythonGraph } from './python-reader.ts';
import { computeDominators } from './dominators.ts';
import { heldEntries, type HeldOptions, type RetainedStats } from './held.ts';
import { breakdown, type BreakdownOptions, type BreakdownRow } from './breakdown.ts';

export type AnalyseOptions = Partial<HeldOptions> & BreakdownOptions & {
  /** which reader: a V8 .heapsnapshot (default) or the python worker's object graph */
  runtime?: 'node' | 'python';
};

const READERS: Record<'node' | 'python', (path: string) => HeapGraph> = { node: readHeapSnapshot, python: readPythonGraph };

export interface HeldEntriesAnalysis {
  count: number;
  retainedPerEntry: RetainedStats;
  /** The holder Array's pointer slot per entry, not part of retainedPerEntry. */
  arraySlotBytes: 8;
  breakdown: BreakdownRow[];
}

export function analyseHeldEntries(path: string, opts: AnalyseOptions = {}): HeldEntriesAnalysis {
  const { holderClass = 'KcbHeldEntries', field = 'entries', runtime = 'node', ...breakdownOpts } = opts;
  const snapshot = READERS[runtime](path);
  const doms = computeDominators(snapshot);
  const held = heldEntries(snapshot, { holderClass, field }, doms);
  return {
    count: held.count,
    retainedPerEntry: held.retainedPerEntry,
    arraySlotBytes: held.arraySlotBytes,
    breakdown: breakdown(snapshot, doms, held.entryNodes, breakdownOpts),
  };
}

export type { HeapGraph } from './graph.ts';
export { readHeapSnapshot, parseHeapSnapshot } from './parse.ts';
export { readPythonGraph, parsePythonGraph } from './python-reader.ts';
export { computeDominators, type DominatorResult } from './dominators.ts';
export { heldEntries, type HeldEntries, type HeldOptions, type RetainedStats } from './held.ts';
export { breakdown, type BreakdownOptions, type BreakdownRow } from './breakdown.ts';
