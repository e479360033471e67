// Finds what the worker holds: the single `KcbHeldEntries` object, its `entries` Array, and that Array's elements.
// Each element's retained size is what would be freed if that one entry were dropped: an object shared between
// entries (a pool, a prototype) is dominated by the Array or higher up, so it counts in no entry.
import type { HeapGraph } from './graph.ts';
import { edgeNameOf, nodeNameOf, nodeTypeName, typeIndex } from './graph.ts';
import type { DominatorResult } from './dominators.ts';
import { computeDominators } from './dominators.ts';

export interface HeldOptions {
  /** Constructor name of the object the worker keeps its entries in. */
  holderClass: string;
  /** Its property that points at the Array of entries. */
  field: string;
}

export interface RetainedStats {
  mean: number;
  median: number;
  min: number;
  max: number;
}

export interface HeldEntries {
  count: number;
  retainedPerEntry: RetainedStats;
  /** One pointer slot per entry in the holder's Array (compressed pointers are off in Node builds). */
  arraySlotBytes: 8;
  /** Node ordinals of the entries, in Array order. */
  entryNodes: Uint32Array;
}

/** Node ordinals of the entries (element edges of holder.field), failing loudly if the holder is not unique. */
export function findHeldEntryNodes(s: HeapGraph, opts: HeldOptions): Uint32Array {
  const objectType = typeIndex(s.nodeTypes, 'object');
  const holders: number[] = [];
  for (let v = 0; v < s.nodeCount; v++) {
    if (s.nodeType[v] === objectType && nodeNameOf(s, v) === opts.holderClass) holders.push(v);
  }
  if (holders.length !== 1) throw new Error(`expected one ${opts.holderClass} object in the heap snapshot, found ${holders.length}`);
  const holder = holders[0];

  const property = typeIndex(s.edgeTypes, 'property');
  let array = -1;
  for (let e = s.firstEdge[holder]; e < s.firstEdge[holder + 1]; e++) {
    if (s.edgeType[e] === property && edgeNameOf(s, e) === opts.field) array = s.edgeTo[e];
  }
  if (array < 0) throw new Error(`${opts.holderClass} has no "${opts.field}" property in the heap snapshot`);

  // Element edges only: holes are not edges at all, Smis are not nodes, and 'hidden'/'internal' edges are V8's
  // own (map, elements store). A heap number or string entry is still a node and is counted.
  const element = typeIndex(s.edgeTypes, 'element');
  const hidden = typeIndex(s.nodeTypes, 'hidden');
  const out: number[] = [];
  const seen = new Set<number>(); // the same object twice in the Array is still one entry's worth of memory
  for (let e = s.firstEdge[array]; e < s.firstEdge[array + 1]; e++) {
    if (s.edgeType[e] !== element) continue;
    const to = s.edgeTo[e];
    if (s.nodeType[to] === hidden || seen.has(to)) continue;
    seen.add(to);
    out.push(to);
  }
  if (out.length === 0 && nodeTypeName(s, array) !== 'object') throw new Error(`${opts.holderClass}.${opts.field} is not an object`);
  return Uint32Array.from(out);
}

export function stats(values: Float64Array): RetainedStats {
  if (values.length === 0) return { mean: 0, median: 0, min: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { mean: sum / sorted.length, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

export function heldEntries(s: HeapGraph, opts: HeldOptions, doms: DominatorResult = computeDominators(s)): HeldEntries {
  const entryNodes = findHeldEntryNodes(s, opts);
  const sizes = new Float64Array(entryNodes.length);
  for (let i = 0; i < entryNodes.length; i++) sizes[i] = doms.retainedSize[entryNodes[i]];
  return { count: entryNodes.length, retainedPerEntry: stats(sizes), arraySlotBytes: 8, entryNodes };
}
