// Where the bytes of one entry go: per node design, the heap snapshot's retained size of one entry stacked by the
// property path that owns it (largest owners, the rest as "other"), with the heapUsed slope as a bar beside it.
import type { TopLevelSpec } from 'vega-lite';
import { isResolved } from '../../analysis/headline.ts';
import type { Results } from '../../results/schema.ts';
import { formatBytes, formatSlope } from '../format.ts';
import { bytesLesson, ownerGroups, ownerText, snapshotSlopeMetric } from '../view.ts';
import { BYTES_LABEL, COLOURS, CONFIG, SCHEMA_URL, byteTicks, header, type Chart } from './theme.ts';

const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#eeca3b', '#72b7b2', '#9d755d'];
const OTHER = '#c7c7c7';
const SNAPSHOT_ROW = 'one entry (snapshot)';
const SLOPE_ROW = 'slope';

export function bytesByOwnerChart(r: Results): Chart | undefined {
  const designs = r.designs.filter((d) => d.snapshot && d.snapshot.breakdown.length);
  if (!designs.length) return undefined;
  const panels = designs.map((d) => {
    const s = d.snapshot!;
    const groups = ownerGroups(s, 6);
    const segments = groups.map((g, i) => ({
      row: SNAPSHOT_ROW, rank: i, owner: `${ownerText(g)}: ${formatBytes(g.bytes)}`, bytes: g.bytes,
      share: `${Math.round((g.bytes / s.retainedPerEntry) * 100)} %`,
    }));
    const metric = snapshotSlopeMetric(d);
    const heap = d.perObject[metric];
    const resolved = isResolved(heap);
    const slope = resolved ? [{ row: SLOPE_ROW, bytes: heap.bytes, lo: heap.ci95[0], hi: heap.ci95[1], label: formatBytes(heap.bytes) }] : [];
    const notes = [
      { row: SNAPSHOT_ROW, at: s.retainedPerEntry, label: `${formatBytes(s.retainedPerEntry)} retained` },
      resolved ? { row: SLOPE_ROW, at: heap.ci95[1], label: formatBytes(heap.bytes) }
        : { row: SLOPE_ROW, at: 0, label: heap ? formatSlope(heap, metric) : 'not measured' },
    ];
    const max = Math.max(s.retainedPerEntry, resolved ? heap.ci95[1] : 0);
    const top = max * 1.4;
    const x = {
      type: 'quantitative' as const, scale: { domain: [0, top], nice: false },
      axis: { values: byteTicks(max), labelExpr: BYTES_LABEL, title: null, grid: true },
    };
    const y = { field: 'row', type: 'nominal' as const, sort: [SNAPSHOT_ROW, SLOPE_ROW], title: null, scale: { domain: [SNAPSHOT_ROW, SLOPE_ROW] } };
    const domain = segments.map((g) => g.owner);
    const range = groups.map((g, i) => (g.owner === 'other' ? OTHER : PALETTE[i % PALETTE.length]));
    return {
      title: { text: `${d.id} (lower bar: ${metric === 'heapUsed' ? 'heapUsed' : 'tracemalloc'} slope)`, fontSize: 12.5, anchor: 'start' as const },
      width: 440, height: { step: 24 },
      layer: [
        {
          data: { values: segments },
          mark: { type: 'bar', height: { band: 0.75 }, stroke: 'white', strokeWidth: 0.5 },
          encoding: {
            y, x: { ...x, field: 'bytes', stack: 'zero' },
            order: { field: 'rank', type: 'quantitative' },
            color: { field: 'owner', type: 'nominal', sort: domain, scale: { domain, range }, title: 'owner per entry',
              legend: { orient: 'right', labelLimit: 480, symbolType: 'square', titleFontWeight: 'normal' } },
            tooltip: [{ field: 'owner' }, { field: 'share', title: 'of the entry' }],
          },
        },
        {
          data: { values: slope },
          layer: [
            { mark: { type: 'bar', height: { band: 0.75 }, color: COLOURS[metric], opacity: 0.55 }, encoding: { y, x: { ...x, field: 'bytes' } } },
            { mark: { type: 'rule', color: '#222' }, encoding: { y, x: { ...x, field: 'lo' }, x2: { field: 'hi' } } },
          ],
        },
        {
          data: { values: notes },
          mark: { type: 'text', align: 'left', dx: 5, fontSize: 10.5, color: '#222' },
          encoding: { y, x: { ...x, field: 'at' }, text: { field: 'label' } },
        },
      ],
    };
  });
  const spec = {
    $schema: SCHEMA_URL,
    title: header(r, 'Where the bytes of one cached entry go',
      `retained size of one entry by owner (V8 heap snapshot or python object graph of ${[...new Set(designs.map((d) => d.snapshot!.n))].join(' / ')} entries, dominator tree) beside the heapUsed or tracemalloc slope`),
    config: { ...CONFIG, legend: { ...CONFIG.legend, orient: 'right' as const } },
    vconcat: panels,
    spacing: 18,
    resolve: { scale: { color: 'independent', x: 'independent' }, legend: { color: 'independent' } },
  } as unknown as TopLevelSpec;
  const caption = 'Per design, the upper bar is one entry of the heap snapshot (python: the object graph) split by the property path that owns the bytes ' +
    '(constructors of one path summed; the smaller owners as "other"), the lower bar the heapUsed slope (python: the tracemalloc slope) with its 95 % CI: when the two ' +
    'agree, the snapshot accounts for what the slope measures. Each design has its own linear scale.';
  return { name: 'bytes-by-owner', title: 'Where the bytes go', caption, lesson: bytesLesson(r), spec };
}
