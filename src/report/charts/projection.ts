// Projected memory at 10 k, 100 k and 1 M cached trusts: the design's headline figure × N per worker, and for
// designs with a store its memory per key × N in the store server (paid once). Only resolved figures are projected.
import type { TopLevelSpec } from 'vega-lite';
import { headline, isResolved } from '../../analysis/headline.ts';
import { metricLabel } from '../../results/metrics.ts';
import type { Results } from '../../results/schema.ts';
import { GB, KB, MB, formatBytes, formatCount, storeName } from '../format.ts';
import { BYTES_LABEL, CONFIG, SCHEMA_URL, header, type Chart } from './theme.ts';

export const PROJECTION_SIZES = [10_000, 100_000, 1_000_000];

/** How far the projected sizes go beyond what the run measured (designs can stop at different N). */
function measuredUpTo(r: Results): string {
  const tops = r.designs.map((d) => Math.max(0, ...(d.sizes ?? [])));
  const [least, most] = [Math.min(...tops), Math.max(...tops)];
  const upTo = `measured up to N = ${least === most ? formatCount(most) : `${formatCount(least)}–${formatCount(most)}`}`;
  if (PROJECTION_SIZES.every((n) => n > most)) return 'not measured at these N';
  return PROJECTION_SIZES.every((n) => n <= least) ? `the run ${upTo}` : `${upTo}, projected beyond`;
}

export function projectionChart(r: Results): Chart {
  const rows: Array<{ row: string; trusts: string; bytes: number; label: string }> = [];
  const add = (row: string, perObject: number) => {
    for (const n of PROJECTION_SIZES) {
      rows.push({ row, trusts: `${n.toLocaleString('en-US')} trusts`, bytes: perObject * n, label: formatBytes(perObject * n) });
    }
  };
  const left: string[] = [];
  for (const d of r.designs) {
    // the one figure that stands for the design (src/analysis/headline.ts)
    const h = headline(d);
    if (h) add(`${d.id}: worker ${h.metric === 'heapUsed' ? 'heap' : metricLabel(h.metric)}`, h.bytes);
    else if (d.samples.length) left.push(d.id);
    const store = d.perObject.storeUsedMemory;
    if (isResolved(store)) add(`${d.id}: ${storeName(d)} server (shared)`, store.bytes);
  }
  add('post (2015) estimate', r.reference.bytesPerObject);
  const order = [...new Set(rows.map((x) => x.row))];
  const max = Math.max(...rows.map((x) => x.bytes), MB);
  const min = Math.min(...rows.map((x) => x.bytes), MB);
  // the axis ends a little past the largest bar (not at the next decade) so its label fits without a wasted decade
  const top = max * 3;
  const ticks = [100 * KB, MB, 10 * MB, 100 * MB, GB, 10 * GB, 100 * GB, 1024 * GB].filter((t) => t <= top);
  const lowest = Math.max(...ticks.filter((t) => t <= min), ticks[0]);
  const x = {
    field: 'bytes', type: 'quantitative' as const,
    scale: { type: 'log' as const, domain: [lowest, top], nice: false },
    axis: { values: ticks.filter((t) => t >= lowest), labelExpr: BYTES_LABEL, title: 'projected memory (log scale)', grid: true },
  };
  const y = { field: 'row', type: 'nominal' as const, sort: order, title: null, axis: { labelLimit: 320 } };
  const yOffset = { field: 'trusts', type: 'nominal' as const, sort: PROJECTION_SIZES.map((n) => `${n.toLocaleString('en-US')} trusts`) };
  const spec: TopLevelSpec = {
    $schema: SCHEMA_URL,
    title: header(r, `Projection: memory at scale (${measuredUpTo(r)})`,
      'headline figure per object × N, per worker; a store server is shared by all workers'),
    width: 700,
    height: order.length * 3 * 15 + order.length * 12,
    config: CONFIG,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', height: { band: 0.85 } },
        encoding: {
          y, yOffset, x, x2: { datum: lowest },
          color: { field: 'trusts', type: 'nominal', sort: yOffset.sort, title: 'cached trusts', scale: { range: ['#c6dbef', '#6baed6', '#2171b5'] } },
        },
      },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 }, encoding: { y, yOffset, x, text: { field: 'label' } } },
    ],
  };
  const caption = 'Projection, not a measurement: the figure that stands for each design (RSS per object when resolved, ' +
    'else the V8 heap) × cached trusts, per worker process; the store rows are the store server, paid once however many ' +
    'workers there are.' + (left.length ? ` Not projected (no resolved figure): ${left.join(', ')}.` : '');
  return { name: 'projection', title: 'Projection at scale', caption, spec };
}
