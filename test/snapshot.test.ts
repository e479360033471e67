// Heap-snapshot cross-check of per-entry memory: a hand-made graph with hand-computed retained sizes, then a real
// snapshot of a child process holding a known payload per entry.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseHeldEntries, computeDominators, heldEntries, parseHeapSnapshot, readHeapSnapshot } from '../src/snapshot/index.ts';
import { essentialEdgeFilter } from '../src/snapshot/dominators.ts';
import type { HeapGraph as HeapSnapshot } from '../src/snapshot/index.ts';
import { PROCESS_GUARD_MS } from './helpers/run-cli.ts';

// Node 20's meta, as v8.writeHeapSnapshot writes it.
const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];

interface N { key: string; type: string; name: string; self: number }
type E = [from: string, type: string, nameOrIndex: string | number, to: string];

/** A .heapsnapshot JSON text from readable nodes and edges (edges are grouped per node, as V8 writes them). */
function makeSnapshot(nodes: N[], edges: E[]): string {
  const strings: string[] = [];
  const str = (s: string) => (strings.includes(s) ? strings.indexOf(s) : strings.push(s) - 1);
  const ordinal = new Map(nodes.map((n, i) => [n.key, i]));
  const flatNodes: number[] = [];
  const flatEdges: number[] = [];
  nodes.forEach((n, i) => {
    const out = edges.filter((e) => e[0] === n.key);
    flatNodes.push(NODE_TYPES.indexOf(n.type), str(n.name), 2 * i + 1, n.self, out.length, 0, 0);
    for (const [, type, name, to] of out) {
      flatEdges.push(EDGE_TYPES.indexOf(type), typeof name === 'number' ? name : str(name), ordinal.get(to)! * 7);
    }
  });
  return JSON.stringify({
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
        node_types: [NODE_TYPES, 'string', 'number', 'number', 'number', 'number', 'number'],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [EDGE_TYPES, 'string_or_number', 'node'],
      },
      node_count: nodes.length,
      edge_count: flatEdges.length / 3,
    },
    nodes: flatNodes,
    edges: flatEdges,
    strings,
  });
}

describe('hand-made snapshot', () => {
  // root → holder → entries Array → E1, E2, E3 (+ a hidden element, skipped). All three share S, so S is in none.
  // E1 alone owns P1 → str, although E2 points at P1 weakly and E3 by a shortcut edge: neither retains.
  // E3 owns a string. U is unreachable: hung under the root, as DevTools and memlab do.
  const nodes: N[] = [
    { key: 'root', type: 'synthetic', name: '', self: 0 },
    { key: 'holder', type: 'object', name: 'KcbHeldEntries', self: 24 },
    { key: 'arr', type: 'object', name: 'Array', self: 32 },
    { key: 'E1', type: 'object', name: 'Object', self: 40 },
    { key: 'E2', type: 'object', name: 'Object', self: 40 },
    { key: 'E3', type: 'object', name: 'Object', self: 40 },
    { key: 'H', type: 'hidden', name: 'system / Oddball', self: 16 },
    { key: 'S', type: 'object', name: 'Shared', self: 100 },
    { key: 'P1', type: 'object', name: 'Private', self: 200 },
    { key: 'str', type: 'string', name: 'hello', self: 20 },
    { key: 'own3', type: 'string', name: 'mine', self: 16 },
    { key: 'U', type: 'object', name: 'Unreachable', self: 8 },
  ];
  const edges: E[] = [
    ['root', 'element', 1, 'holder'],
    ['holder', 'property', 'entries', 'arr'],
    ['arr', 'element', 0, 'E1'],
    ['arr', 'element', 1, 'E2'],
    ['arr', 'element', 2, 'E3'],
    ['arr', 'element', 3, 'H'],
    ['E1', 'property', 'shared', 'S'],
    ['E1', 'property', 'priv', 'P1'],
    ['E2', 'property', 'shared', 'S'],
    ['E2', 'weak', 'w', 'P1'],
    ['E3', 'property', 'shared', 'S'],
    ['E3', 'shortcut', 'sc', 'P1'],
    ['E3', 'property', 'own', 'own3'],
    ['P1', 'property', 's', 'str'],
  ];
  const snap = parseHeapSnapshot(makeSnapshot(nodes, edges));
  const at = (key: string) => nodes.findIndex((n) => n.key === key);

  it('parses into typed columns with first-edge indices', () => {
    expect(snap.nodeCount).toBe(nodes.length);
    expect(snap.edgeCount).toBe(edges.length);
    expect(snap.firstEdge[at('arr') + 1] - snap.firstEdge[at('arr')]).toBe(4);
    expect(snap.edgeTo[snap.firstEdge[at('holder')]]).toBe(at('arr'));
  });

  it('computes hand-checked dominators and retained sizes, ignoring weak and non-root shortcut edges', () => {
    const d = computeDominators(snap);
    expect(d.idom[at('P1')]).toBe(at('E1'));
    expect(d.idom[at('S')]).toBe(at('arr'));
    expect(d.idom[at('U')]).toBe(at('root'));
    const retained = Object.fromEntries(nodes.map((n, i) => [n.key, d.retainedSize[i]]));
    expect(retained).toMatchObject({ E1: 260, E2: 40, E3: 56, S: 100, arr: 32 + 260 + 40 + 56 + 16 + 100, holder: 528, root: 536 });
  });

  it('reads the held entries and their retained sizes', () => {
    const h = heldEntries(snap, { holderClass: 'KcbHeldEntries', field: 'entries' });
    expect(h.count).toBe(3);
    expect(h.arraySlotBytes).toBe(8);
    expect(h.retainedPerEntry).toEqual({ mean: (260 + 40 + 56) / 3, median: 56, min: 40, max: 260 });
  });

  it('fails clearly when the holder is missing', () => {
    expect(() => heldEntries(snap, { holderClass: 'Nope', field: 'entries' })).toThrow(/one Nope object/);
    expect(() => heldEntries(snap, { holderClass: 'KcbHeldEntries', field: 'nope' })).toThrow(/no "nope" property/);
  });

  it('breaks the bytes down by path and kind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcb-snap-hand-'));
    try {
      const file = join(dir, 'hand.heapsnapshot');
      writeFileSync(file, makeSnapshot(nodes, edges));
      const r = analyseHeldEntries(file);
      expect(r.count).toBe(3);
      expect(r.breakdown).toEqual([
        { owner: 'priv (Private)', bytesPerEntry: 200 / 3 },
        { owner: '(entry) (Object)', bytesPerEntry: 40 },
        { owner: 'priv.s (string)', bytesPerEntry: 20 / 3 },
        { owner: 'own (string)', bytesPerEntry: 16 / 3 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Retained size by definition: bytes no longer reachable from the root when `removed` is taken out. */
function retainedByRemoval(s: HeapSnapshot, removed: number): number {
  const essential = essentialEdgeFilter(s);
  const reach = (skip: number) => {
    const seen = new Uint8Array(s.nodeCount);
    const stack = [0];
    seen[0] = 1;
    while (stack.length) {
      const v = stack.pop()!;
      for (let e = s.firstEdge[v]; e < s.firstEdge[v + 1]; e++) {
        const w = s.edgeTo[e];
        if (w === skip || seen[w] || !essential(v, e)) continue;
        seen[w] = 1;
        stack.push(w);
      }
    }
    return seen;
  };
  const all = reach(-1);
  const without = reach(removed);
  let bytes = 0;
  for (let v = 0; v < s.nodeCount; v++) if (all[v] && !without[v]) bytes += s.nodeSelfSize[v];
  return bytes;
}

describe('real snapshot of a child process', () => {
  const N = 300;
  const ELEMENTS = 1000;
  // A JSArray header is 32 B; its FixedDoubleArray store 16 B + 8 B per double; the entry { payload, shared } 40 B.
  const payloadBytes = 32 + 16 + 8 * ELEMENTS;
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kcb-snap-'));
    file = join(dir, 'worker.heapsnapshot');
    const script = join(dir, 'hold.mjs');
    writeFileSync(
      script,
      `import v8 from 'node:v8';
class KcbHeldEntries { constructor(entries) { this.entries = entries; } }
const shared = { name: 'shared', big: new Array(5000).fill(2.5) };
const held = new KcbHeldEntries(new Array(${N}));
for (let i = 0; i < ${N}; i++) held.entries[i] = { payload: new Array(${ELEMENTS}).fill(1.5), shared };
for (let i = 0; i < 3; i++) globalThis.gc();
v8.writeHeapSnapshot(process.argv[2]);
if (held.entries.length < 0) console.log(held);
`,
    );
    const run = spawnSync(process.execPath, ['--expose-gc', script, file], { encoding: 'utf8', timeout: PROCESS_GUARD_MS });
    if (run.status !== 0) throw new Error(`snapshot child failed: ${run.stderr}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds every entry and retains the known payload per entry, not the shared object', () => {
    const r = analyseHeldEntries(file);
    expect(r.count).toBe(N);
    const expected = payloadBytes + 40;
    expect(Math.abs(r.retainedPerEntry.median - expected) / expected).toBeLessThan(0.03);
    expect(Math.abs(r.retainedPerEntry.mean - expected) / expected).toBeLessThan(0.03);
    // the shared object holds a 40 kB array: any entry that counted it would be five times the payload
    expect(r.retainedPerEntry.max).toBeLessThan(expected * 1.03);
    expect(r.breakdown[0].owner).toBe('payload (Array)');
    expect(Math.abs(r.breakdown[0].bytesPerEntry - payloadBytes) / payloadBytes).toBeLessThan(0.03);
    expect(r.breakdown.some((row) => row.owner.includes('shared'))).toBe(false);
    const total = r.breakdown.reduce((sum, row) => sum + row.bytesPerEntry, 0);
    expect(total).toBeCloseTo(r.retainedPerEntry.mean, 6);
  });

  it('agrees with retained size by definition (remove the entry, count what becomes unreachable)', () => {
    const s = readHeapSnapshot(file);
    const d = computeDominators(s);
    const h = heldEntries(s, { holderClass: 'KcbHeldEntries', field: 'entries' }, d);
    for (const i of [0, 1, 149, N - 2, N - 1]) {
      const entry = h.entryNodes[i];
      expect(d.retainedSize[entry]).toBe(retainedByRemoval(s, entry));
    }
  });
});
