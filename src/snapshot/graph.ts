// The object graph every analysis of this directory works on, whichever runtime it came from: a V8 heap snapshot
// (parse.ts) or a python object-graph snapshot (python-reader.ts). Node 0 is the root; nodes carry a type, a name
// (constructor or type name) and a self size; edges a type, a name or index, and a target. The type names are
// V8's (object, hidden, synthetic …; property, element, internal, weak, shortcut …): a reader maps its runtime's
// references onto them, so dominators, retained sizes and owner paths are computed by one piece of code.
export interface HeapGraph {
  nodeCount: number;
  edgeCount: number;
  /** Per node: index into nodeTypes. */
  nodeType: Uint8Array;
  /** Per node: index into strings (constructor or string value, depending on type). */
  nodeName: Uint32Array;
  /** Per node: the runtime's id of the object (V8's snapshot id; python: the ordinal). */
  nodeId: Uint32Array;
  nodeSelfSize: Float64Array;
  /** Per node i: its outgoing edges are firstEdge[i] .. firstEdge[i + 1] - 1 (length nodeCount + 1). */
  firstEdge: Uint32Array;
  /** Per edge: index into edgeTypes. */
  edgeType: Uint8Array;
  /** Per edge: index into strings for named edges, the element/hidden index otherwise. */
  edgeNameOrIndex: Uint32Array;
  /** Per edge: target node ordinal (already divided by the node field count). */
  edgeTo: Uint32Array;
  nodeTypes: string[];
  edgeTypes: string[];
  strings: string[];
}

/** Edge types whose name_or_index is an index rather than a string-table entry (as in V8 and DevTools). */
const INDEXED_EDGE_TYPES = new Set(['element', 'hidden']);

/** Index of a node or edge type name, or -1 when this snapshot does not have it (e.g. no 'shortcut' type). */
export function typeIndex(types: string[], name: string): number {
  return types.indexOf(name);
}

export function nodeTypeName(s: HeapGraph, node: number): string {
  return s.nodeTypes[s.nodeType[node]] ?? 'unknown';
}

export function nodeNameOf(s: HeapGraph, node: number): string {
  return s.strings[s.nodeName[node]] ?? '';
}

export function edgeTypeName(s: HeapGraph, edge: number): string {
  return s.edgeTypes[s.edgeType[edge]] ?? 'unknown';
}

/** The edge's property/variable name, or its index as a string for element and hidden edges. */
export function edgeNameOf(s: HeapGraph, edge: number): string {
  const v = s.edgeNameOrIndex[edge];
  return INDEXED_EDGE_TYPES.has(edgeTypeName(s, edge)) ? String(v) : (s.strings[v] ?? String(v));
}
