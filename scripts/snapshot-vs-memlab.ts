// Cross-validation of src/snapshot against memlab: retained size of every node, ours vs memlab's, on one snapshot.
// memlab is not a dependency (its @memlab/core pulls in puppeteer, whose install downloads a browser): install it
// aside with `npm i --ignore-scripts @memlab/core@2.0.5` in some dir and pass that dir.
//   node --import tsx scripts/snapshot-vs-memlab.ts <file.heapsnapshot> <dir with node_modules/@memlab/core>
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { computeDominators, heldEntries, readHeapSnapshot } from '../src/snapshot/index.ts';

interface MemlabNode { id: number; type: string; name: string; retainedSize: number; references: { type: string; name_or_index: string | number; toNode: MemlabNode }[] }
interface MemlabHeap { nodes: { forEach(cb: (n: MemlabNode) => void): void } }

const [file, memlabDir] = process.argv.slice(2);
if (!file || !memlabDir) {
  console.error('usage: snapshot-vs-memlab.ts <file.heapsnapshot> <dir with node_modules/@memlab/core>');
  process.exit(2);
}
const memlab = createRequire(join(resolve(memlabDir), 'noop.js'))('@memlab/core');

let t = performance.now();
const heap = (await memlab.utils.getSnapshotFromFile(file, { buildNodeIdIndex: true })) as MemlabHeap;
new memlab.TraceFinder().calculateAllNodesRetainedSizes(heap);
const memlabMs = performance.now() - t;
const theirs = new Map<number, number>();
heap.nodes.forEach((n) => theirs.set(n.id, n.retainedSize));

t = performance.now();
const s = readHeapSnapshot(file);
const d = computeDominators(s);
const held = heldEntries(s, { holderClass: 'KcbHeldEntries', field: 'entries' }, d);
const oursMs = performance.now() - t;

let exact = 0;
let worst = 0;
for (let v = 0; v < s.nodeCount; v++) {
  const r = theirs.get(s.nodeId[v]) ?? Number.NaN;
  if (r === d.retainedSize[v]) exact++;
  else worst = Math.max(worst, Math.abs(d.retainedSize[v] - r) / Math.max(1, r));
}
let entriesSum = 0;
let theirEntriesSum = 0;
for (const v of held.entryNodes) {
  entriesSum += d.retainedSize[v];
  theirEntriesSum += theirs.get(s.nodeId[v]) ?? Number.NaN;
}
console.log(
  JSON.stringify({
    nodes: s.nodeCount,
    exactNodes: exact,
    worstRelativeDifference: worst,
    entries: held.count,
    meanRetainedOurs: entriesSum / held.count,
    meanRetainedMemlab: theirEntriesSum / held.count,
    oursMs: Math.round(oursMs),
    memlabMs: Math.round(memlabMs),
  }),
);
