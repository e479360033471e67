// Immediate dominators and retained sizes, Lengauer–Tarjan (simple version, path compression) over typed arrays.
// Which edges retain follows Chrome DevTools' computeIsEssentialEdge and memlab's TraceFinder: weak edges never
// retain; shortcut edges retain only from the root (V8 adds them as duplicate paths, the GC does not follow them);
// self edges are ignored; and an edge from an object not reachable from the root into one that is does not count.
// Nodes the root cannot reach are hung under the root, as both tools do, so every node has a dominator.
// We chose LT over the iterative Cooper–Harvey–Kennedy scheme because memlab dropped the latter after it failed to
// converge on large heaps; LT is one pass, with no fix-point.
import type { HeapGraph } from './graph.ts';
import { typeIndex } from './graph.ts';

export const ROOT = 0;

export interface DominatorResult {
  /** Per node: its immediate dominator (the root is its own). */
  idom: Uint32Array;
  /** Per node: self size plus the retained sizes of the nodes it immediately dominates. */
  retainedSize: Float64Array;
  /** Per node: 1 when reachable from the root's non-shortcut edges along non-weak edges (the "page" flag). */
  reachable: Uint8Array;
}

/** DevTools' _isEssentialEdge plus the self-edge rule: weak edges never retain, shortcut edges only from the root. */
export function essentialEdgeFilter(s: HeapGraph): (from: number, edge: number) => boolean {
  const weak = typeIndex(s.edgeTypes, 'weak');
  const shortcut = typeIndex(s.edgeTypes, 'shortcut');
  return (from, edge) => {
    const t = s.edgeType[edge];
    if (t === weak) return false;
    if (t === shortcut && from !== ROOT) return false;
    return s.edgeTo[edge] !== from;
  };
}

/** Nodes reachable from the root's non-shortcut edges along non-weak edges (DevTools' and memlab's "page" flag). */
function markReachable(s: HeapGraph): Uint8Array {
  const weak = typeIndex(s.edgeTypes, 'weak');
  const shortcut = typeIndex(s.edgeTypes, 'shortcut');
  const flag = new Uint8Array(s.nodeCount);
  const stack = new Uint32Array(s.nodeCount);
  let sp = 0;
  for (let e = s.firstEdge[ROOT]; e < s.firstEdge[ROOT + 1]; e++) {
    const to = s.edgeTo[e];
    if (s.edgeType[e] === shortcut || flag[to]) continue;
    flag[to] = 1;
    stack[sp++] = to;
  }
  while (sp > 0) {
    const v = stack[--sp];
    for (let e = s.firstEdge[v]; e < s.firstEdge[v + 1]; e++) {
      const to = s.edgeTo[e];
      if (flag[to] || s.edgeType[e] === weak) continue;
      flag[to] = 1;
      stack[sp++] = to;
    }
  }
  return flag;
}

export function computeDominators(s: HeapGraph): DominatorResult {
  const n = s.nodeCount;
  const reachable = markReachable(s);
  reachable[ROOT] = 1;
  const essential = essentialEdgeFilter(s);
  const weak = typeIndex(s.edgeTypes, 'weak');
  const shortcut = typeIndex(s.edgeTypes, 'shortcut');
  const retains = (from: number, e: number) =>
    essential(from, e) && (from === ROOT || !(reachable[s.edgeTo[e]] && !reachable[from]));

  // Retaining edges as compact forward and reverse adjacency (CSR), filtered once.
  const fwdStart = new Uint32Array(n + 1);
  const predCount = new Uint32Array(n + 1);
  const hasStrongReferrer = new Uint8Array(n);
  let m = 0;
  for (let v = 0; v < n; v++) {
    fwdStart[v] = m;
    for (let e = s.firstEdge[v]; e < s.firstEdge[v + 1]; e++) {
      const t = s.edgeType[e];
      if (t !== weak && t !== shortcut) hasStrongReferrer[s.edgeTo[e]] = 1;
      if (!retains(v, e)) continue;
      m++;
      predCount[s.edgeTo[e]]++;
    }
  }
  fwdStart[n] = m;
  const fwd = new Uint32Array(m);
  const predStart = new Uint32Array(n + 1);
  for (let v = 0, acc = 0; v < n; v++) {
    predStart[v] = acc;
    acc += predCount[v];
  }
  predStart[n] = m;
  const pred = new Uint32Array(m);
  const predFill = predStart.slice(0, n);
  for (let v = 0, k = 0; v < n; v++) {
    for (let e = s.firstEdge[v]; e < s.firstEdge[v + 1]; e++) {
      if (!retains(v, e)) continue;
      const w = s.edgeTo[e];
      fwd[k++] = w;
      pred[predFill[w]++] = v;
    }
  }

  // LT working arrays, vertices numbered 1..n (vertex = node + 1) so that 0 means "none".
  const N = n + 1;
  const parent = new Uint32Array(N);
  const ancestor = new Uint32Array(N);
  const vertex = new Uint32Array(N);
  const label = new Uint32Array(N);
  const semi = new Uint32Array(N);
  const dom = new Uint32Array(N);
  const bucketHead = new Uint32Array(N);
  const bucketNext = new Uint32Array(N);
  const cursor = new Uint32Array(N);
  let count = 0;

  // Iterative DFS: a recursive one overflows the stack on deep heaps (long linked lists).
  const dfs = (start: number) => {
    let v = start;
    cursor[v] = fwdStart[v - 1];
    while (v !== 0) {
      if (semi[v] === 0) {
        semi[v] = ++count;
        vertex[count] = label[v] = v;
      }
      let next = parent[v];
      const end = fwdStart[v];
      while (cursor[v] < end) {
        const w = fwd[cursor[v]++] + 1;
        if (semi[w] === 0) {
          parent[w] = v;
          cursor[w] = fwdStart[w - 1];
          next = w;
          break;
        }
      }
      v = next;
    }
  };

  const r = ROOT + 1;
  dfs(r);
  // Orphans (only weak or shortcut referrers), then cliques that keep only each other alive: all under the root.
  if (count < n) {
    for (let v = 1; v <= n; v++) {
      if (semi[v] === 0 && !hasStrongReferrer[v - 1]) {
        parent[v] = r;
        dfs(v);
      }
    }
    for (let v = 1; v <= n; v++) {
      if (semi[v] === 0) {
        parent[v] = r;
        semi[v] = ++count;
        vertex[count] = label[v] = v;
      }
    }
  }

  const stack = new Uint32Array(N);
  const evaluate = (v: number): number => {
    if (ancestor[v] === 0) return v;
    // compress, iteratively
    let sp = 0;
    let u = v;
    while (ancestor[ancestor[u]] !== 0) {
      stack[sp++] = u;
      u = ancestor[u];
    }
    while (sp > 0) {
      const w = stack[--sp];
      if (semi[label[ancestor[w]]] < semi[label[w]]) label[w] = label[ancestor[w]];
      ancestor[w] = ancestor[ancestor[w]];
    }
    return label[v];
  };

  for (let i = count; i >= 2; i--) {
    const w = vertex[i];
    const wNode = w - 1;
    let orphan = true;
    for (let k = predStart[wNode]; k < predStart[wNode + 1]; k++) {
      orphan = false;
      const u = evaluate(pred[k] + 1);
      if (semi[u] < semi[w]) semi[w] = semi[u];
    }
    if (orphan) semi[w] = semi[r];
    const sd = vertex[semi[w]];
    bucketNext[w] = bucketHead[sd];
    bucketHead[sd] = w;
    ancestor[w] = parent[w]; // link
    const p = parent[w];
    for (let v = bucketHead[p]; v !== 0; v = bucketNext[v]) {
      const u = evaluate(v);
      dom[v] = semi[u] < semi[v] ? u : p;
    }
    bucketHead[p] = 0;
  }
  dom[r] = r;
  for (let i = 2; i <= count; i++) {
    const w = vertex[i];
    if (dom[w] !== vertex[semi[w]]) dom[w] = dom[dom[w]];
  }

  const idom = new Uint32Array(n);
  const retainedSize = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    idom[v] = dom[v + 1] - 1;
    retainedSize[v] = s.nodeSelfSize[v];
  }
  // Children before their dominator: reverse DFS order.
  for (let i = count; i >= 2; i--) {
    const v = vertex[i] - 1;
    retainedSize[idom[v]] += retainedSize[v];
  }
  return { idom, retainedSize, reachable };
}

/** The dominator tree as CSR: children of node v are children[childStart[v] .. childStart[v + 1] - 1]. */
export function dominatorChildren(idom: Uint32Array): { childStart: Uint32Array; children: Uint32Array } {
  const n = idom.length;
  const childStart = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) if (v !== ROOT) childStart[idom[v] + 1]++;
  for (let v = 0; v < n; v++) childStart[v + 1] += childStart[v];
  const fill = childStart.slice(0, n);
  const children = new Uint32Array(Math.max(0, n - 1));
  for (let v = 0; v < n; v++) if (v !== ROOT) children[fill[idom[v]]++] = v;
  return { childStart, children };
}
