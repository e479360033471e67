// "Where do an entry's bytes go": every node dominated by a held entry is labelled by the property path that
// first reaches it from the entry (breadth-first, so the shortest path, in the snapshot's edge order, so stable)
// plus what the node is, and bytes are summed per label over all entries.
//
// Labelling rules, chosen so a row reads like "session.pool.queue (Array)":
// - property and context (closure variable) edges add a name to the path, up to `depth` names (default 6: the
//   token catalog of a full client sits at session.auth.accessInfo.body.token.catalog); element, internal
//   and hidden edges add none (an Array's items belong to the Array's path, a Map's table to the Map's);
// - symbol-keyed properties are shown by description: V8's "<symbol queue>" becomes "queue"; a python dict's
//   value edge is named by its key, "['token']", and follows its owner without a dot;
// - the kind is the constructor name for objects, "(string)", "(compiled code)", "(closure)" etc. otherwise; a
//   V8 backing store reached by an internal edge (an Array's "(object elements)", a property array, a closure's
//   context) takes its owner's kind, so an Array's header and its elements land in one row;
// - a row smaller than `minShare` of an entry's bytes is folded into its parent path (same kind), deepest first,
//   so twenty small "managers.users (Manager)" rows become one "managers (Manager)" row.
import type { HeapGraph } from './graph.ts';
import { edgeNameOf, nodeNameOf, nodeTypeName, typeIndex } from './graph.ts';
import { ROOT, dominatorChildren, essentialEdgeFilter, type DominatorResult } from './dominators.ts';

export interface BreakdownOptions {
  /** Most names in a path (default 6; small rows are folded back up anyway). */
  depth?: number;
  /** Rows returned before "other" (default 12). */
  top?: number;
  /** Rows below this share of the bytes are folded into their parent path (default 0.01). */
  minShare?: number;
}

export interface BreakdownRow {
  owner: string;
  bytesPerEntry: number;
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);

function kindOf(s: HeapGraph, node: number): string {
  const type = nodeTypeName(s, node);
  if (STRING_TYPES.has(type)) return '(string)';
  if (type === 'code') return '(compiled code)';
  if (type === 'closure') return '(closure)';
  if (type === 'object shape') return '(hidden class)';
  if (type === 'object' || type === 'native') return nodeNameOf(s, node) || type;
  return `(${type === "hidden" ? "system" : type})`;
}

function pathName(raw: string): string {
  const m = /^<symbol (.*)>$/.exec(raw);
  return m ? m[1] : raw;
}

export function breakdown(s: HeapGraph, doms: DominatorResult, entries: Uint32Array, opts: BreakdownOptions = {}): BreakdownRow[] {
  const { depth = 6, top = 12, minShare = 0.01 } = opts;
  if (entries.length === 0) return [];
  const property = typeIndex(s.edgeTypes, 'property');
  const context = typeIndex(s.edgeTypes, 'context');
  const internal = typeIndex(s.edgeTypes, 'internal');
  const hiddenEdge = typeIndex(s.edgeTypes, 'hidden');
  const arrayType = typeIndex(s.nodeTypes, 'array');
  const hiddenType = typeIndex(s.nodeTypes, 'hidden');
  const essential = essentialEdgeFilter(s);

  // owner[v] = 1 + index of the entry that dominates v (entries' dominator subtrees are disjoint), 0 for none.
  const { childStart, children } = dominatorChildren(doms.idom);
  const owner = new Uint32Array(s.nodeCount);
  const stack = new Uint32Array(s.nodeCount);
  for (let i = 0; i < entries.length; i++) {
    let sp = 0;
    stack[sp++] = entries[i];
    while (sp > 0) {
      const v = stack[--sp];
      if (v === ROOT || owner[v]) continue;
      owner[v] = i + 1;
      for (let k = childStart[v]; k < childStart[v + 1]; k++) stack[sp++] = children[k];
    }
  }

  // Interned paths (parent path + name) and kinds, so per-node labels are two small integers.
  const pathKey = new Map<string, number>();
  const pathParent: number[] = [-1];
  const pathLabel: string[] = [''];
  const pathDepth: number[] = [0];
  const childPath = (parent: number, name: string): number => {
    const key = `${parent}\u0000${name}`;
    let id = pathKey.get(key);
    if (id === undefined) {
      id = pathLabel.length;
      pathKey.set(key, id);
      pathParent.push(parent);
      // a subscript (python's ['token'], a dict's key) follows its owner without a dot
      pathLabel.push(parent === 0 || name.startsWith('[') ? `${pathLabel[parent]}${name}` : `${pathLabel[parent]}.${name}`);
      pathDepth.push(pathDepth[parent] + 1);
    }
    return id;
  };
  const kindIds = new Map<string, number>();
  const kinds: string[] = [];
  const kindId = (k: string): number => {
    let id = kindIds.get(k);
    if (id === undefined) {
      id = kinds.length;
      kindIds.set(k, id);
      kinds.push(k);
    }
    return id;
  };

  const nodePath = new Int32Array(s.nodeCount).fill(-1);
  const nodeKind = new Int32Array(s.nodeCount);
  const queue = new Uint32Array(s.nodeCount);
  // bytes[path][kind], summed over all entries
  const bytes = new Map<number, Map<number, number>>();
  const add = (path: number, kind: number, b: number) => {
    let row = bytes.get(path);
    if (!row) bytes.set(path, (row = new Map()));
    row.set(kind, (row.get(kind) ?? 0) + b);
  };

  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    let head = 0;
    let tail = 0;
    nodePath[entry] = 0;
    nodeKind[entry] = kindId(kindOf(s, entry));
    queue[tail++] = entry;
    while (head < tail) {
      const v = queue[head++];
      add(nodePath[v], nodeKind[v], s.nodeSelfSize[v]);
      total += s.nodeSelfSize[v];
      for (let e = s.firstEdge[v]; e < s.firstEdge[v + 1]; e++) {
        const w = s.edgeTo[e];
        if (owner[w] !== i + 1 || nodePath[w] !== -1 || !essential(v, e)) continue;
        const t = s.edgeType[e];
        const named = (t === property || t === context) && pathDepth[nodePath[v]] < depth;
        nodePath[w] = named ? childPath(nodePath[v], pathName(edgeNameOf(s, e))) : nodePath[v];
        const backingStore = (t === internal || t === hiddenEdge) && (s.nodeType[w] === arrayType || s.nodeType[w] === hiddenType);
        nodeKind[w] = backingStore ? nodeKind[v] : kindId(kindOf(s, w));
        queue[tail++] = w;
      }
    }
  }
  // Anything dominated but not reached breadth-first (should not happen: dominance is over the same edges).
  for (let v = 0; v < s.nodeCount; v++) {
    if (owner[v] && nodePath[v] === -1) {
      add(childPath(0, '(unreached)'), kindId(kindOf(s, v)), s.nodeSelfSize[v]);
      total += s.nodeSelfSize[v];
    }
  }

  // Fold small rows into their parent path, deepest paths first.
  const threshold = total * minShare;
  const order = [...bytes.keys()].sort((a, b) => pathDepth[b] - pathDepth[a] || a - b);
  for (const path of order) {
    if (path === 0) continue;
    const row = bytes.get(path)!;
    for (const [kind, b] of [...row]) {
      if (b >= threshold) continue;
      row.delete(kind);
      add(pathParent[path], kind, b);
    }
  }

  const rows: BreakdownRow[] = [];
  for (const [path, row] of bytes) {
    for (const [kind, b] of row) {
      const k = kinds[kind];
      rows.push({ owner: `${path === 0 ? '(entry)' : pathLabel[path]} ${k.startsWith('(') ? k : `(${k})`}`, bytesPerEntry: b / entries.length });
    }
  }
  rows.sort((a, b) => b.bytesPerEntry - a.bytesPerEntry || (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
  const shown = rows.slice(0, top);
  const rest = rows.slice(top).reduce((sum, r) => sum + r.bytesPerEntry, 0);
  if (rest > 0) shown.push({ owner: 'other', bytesPerEntry: rest });
  return shown;
}
