// Reads a V8 .heapsnapshot into the object graph of graph.ts, one typed column per field. The whole graph of a
// 10–60 MB snapshot is a few million numbers: typed columns keep it compact and fast to walk, where one JS object
// per node would not.
import { readFileSync } from 'node:fs';
import type { HeapGraph } from './graph.ts';

interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}


export function readHeapSnapshot(path: string): HeapGraph {
  return parseHeapSnapshot(readFileSync(path, 'utf8'));
}

export function parseHeapSnapshot(json: string): HeapGraph {
  // One JSON.parse; its plain number arrays become garbage as soon as the typed columns are filled.
  const raw = JSON.parse(json) as RawSnapshot;
  return fromRaw(raw);
}

function fieldIndex(fields: string[], name: string, required = true): number {
  const i = fields.indexOf(name);
  if (i < 0 && required) throw new Error(`heap snapshot meta has no "${name}" field`);
  return i;
}

function fromRaw(raw: RawSnapshot): HeapGraph {
  const meta = raw.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nType = fieldIndex(meta.node_fields, 'type');
  const nName = fieldIndex(meta.node_fields, 'name');
  const nId = fieldIndex(meta.node_fields, 'id');
  const nSelf = fieldIndex(meta.node_fields, 'self_size');
  const nEdges = fieldIndex(meta.node_fields, 'edge_count');
  const eType = fieldIndex(meta.edge_fields, 'type');
  const eName = fieldIndex(meta.edge_fields, 'name_or_index');
  const eTo = fieldIndex(meta.edge_fields, 'to_node');

  const nodes = raw.nodes;
  const edges = raw.edges;
  if (nodes.length % nf !== 0 || edges.length % ef !== 0) throw new Error('heap snapshot nodes/edges length is not a multiple of the field count');
  const nodeCount = nodes.length / nf;
  const edgeCount = edges.length / ef;

  const nodeType = new Uint8Array(nodeCount);
  const nodeName = new Uint32Array(nodeCount);
  const nodeId = new Uint32Array(nodeCount);
  const nodeSelfSize = new Float64Array(nodeCount);
  const firstEdge = new Uint32Array(nodeCount + 1);
  let e = 0;
  for (let i = 0, p = 0; i < nodeCount; i++, p += nf) {
    nodeType[i] = nodes[p + nType];
    nodeName[i] = nodes[p + nName];
    nodeId[i] = nodes[p + nId];
    nodeSelfSize[i] = nodes[p + nSelf];
    firstEdge[i] = e;
    e += nodes[p + nEdges];
  }
  firstEdge[nodeCount] = e;
  if (e !== edgeCount) throw new Error(`heap snapshot edge counts sum to ${e}, but it has ${edgeCount} edges`);

  const edgeType = new Uint8Array(edgeCount);
  const edgeNameOrIndex = new Uint32Array(edgeCount);
  const edgeTo = new Uint32Array(edgeCount);
  for (let j = 0, p = 0; j < edgeCount; j++, p += ef) {
    edgeType[j] = edges[p + eType];
    edgeNameOrIndex[j] = edges[p + eName];
    const to = edges[p + eTo];
    if (to % nf !== 0 || to / nf >= nodeCount) throw new Error(`heap snapshot edge ${j} points at ${to}, not a node`);
    edgeTo[j] = to / nf;
  }

  return {
    nodeCount,
    edgeCount,
    nodeType,
    nodeName,
    nodeId,
    nodeSelfSize,
    firstEdge,
    edgeType,
    edgeNameOrIndex,
    edgeTo,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    strings: raw.strings,
  };
}
