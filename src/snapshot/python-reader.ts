// Reads the python worker's object-graph snapshot (src/worker/python/kcb_graph.py writes it; the layout is
// described there) into the object graph of graph.ts, so python designs get the same dominators, retained
// sizes and owner paths as V8 heap snapshots.
import { readFileSync } from 'node:fs';
import type { HeapGraph } from './graph.ts';

const MAGIC = 'KCBPYGR1';
const NODE_TYPES = ['synthetic', 'object', 'hidden'];
const EDGE_TYPES = ['property', 'element', 'internal', 'weak', 'shortcut'];

export function readPythonGraph(path: string): HeapGraph {
  return parsePythonGraph(readFileSync(path));
}

export function parsePythonGraph(buf: Buffer): HeapGraph {
  if (buf.length < 24 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error('not a python object-graph snapshot');
  const nodeCount = buf.readUInt32LE(8);
  const edgeCount = buf.readUInt32LE(12);
  const stringBytes = buf.readUInt32LE(16);
  const columns = 24 + 4 * (4 * nodeCount + 3 * edgeCount);
  if (buf.length !== columns + stringBytes) throw new Error(`python object-graph snapshot is ${buf.length} bytes, its header says ${columns + stringBytes}`);
  // a copy: the Buffer's offset into its pool need not be 4-aligned
  const words = new Uint32Array(buf.buffer.slice(buf.byteOffset + 24, buf.byteOffset + columns));
  const column = (k: number) => words.subarray(k * nodeCount, (k + 1) * nodeCount);
  const nodeName = column(0).slice();
  const nodeType = Uint8Array.from(column(1));
  const nodeSelfSize = Float64Array.from(column(2));
  const counts = column(3);
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let i = 0; i < nodeCount; i++) firstEdge[i + 1] = firstEdge[i] + counts[i];
  if (firstEdge[nodeCount] !== edgeCount) throw new Error(`python object-graph edge counts sum to ${firstEdge[nodeCount]}, but it has ${edgeCount} edges`);
  const edges = words.subarray(4 * nodeCount);
  const edgeType = new Uint8Array(edgeCount);
  const edgeNameOrIndex = new Uint32Array(edgeCount);
  const edgeTo = new Uint32Array(edgeCount);
  for (let j = 0, p = 0; j < edgeCount; j++, p += 3) {
    edgeType[j] = edges[p];
    edgeNameOrIndex[j] = edges[p + 1];
    const to = edges[p + 2];
    if (to >= nodeCount) throw new Error(`python object-graph edge ${j} points at ${to}, not a node`);
    edgeTo[j] = to;
  }
  const strings = JSON.parse(buf.toString('utf8', columns)) as string[];
  return {
    nodeCount, edgeCount, nodeType, nodeName, nodeId: Uint32Array.from({ length: nodeCount }, (_, i) => i), nodeSelfSize,
    firstEdge, edgeType, edgeNameOrIndex, edgeTo, nodeTypes: NODE_TYPES, edgeTypes: EDGE_TYPES, strings,
  };
}
