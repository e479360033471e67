// RSS per object of the node designs split into live heap (heapUsed slope), V8 heap slack (heapTotal − heapUsed)
// and memory outside the V8 heap (RSS − heapTotal), as shares of the RSS per object, stacked.
import type { TopLevelSpec } from 'vega-lite';
import type { Results } from '../../results/schema.ts';
import { formatBytes, formatCount, formatPart, formatSlope } from '../format.ts';
import { isResolved } from '../../analysis/headline.ts';
import { rssLesson } from '../view.ts';
import { COLOURS, CONFIG, SCHEMA_URL, header, type Chart } from './theme.ts';
import { rssSlope } from './per-object.ts';

const PARTS = [
  { key: 'liveHeap', label: 'live heap (heapUsed)', colour: COLOURS.heapUsed },
  { key: 'heapSlack', label: 'V8 heap slack (heapTotal − heapUsed)', colour: '#9ecae9' },
  { key: 'outsideHeap', label: 'outside the V8 heap (RSS − heapTotal)', colour: COLOURS.rss },
] as const;

export function rssSplitChart(r: Results): Chart | undefined {
  const node = r.designs.filter((d) => d.runtime === 'node' || d.rssBreakdown);
  if (!node.some((d) => d.rssBreakdown)) return undefined;
  const order = node.map((d) => d.id);
  const segments: Array<{ design: string; part: string; rank: number; share: number; label: string }> = [];
  const notes: Array<{ design: string; label: string; at: number }> = [];
  for (const d of node) {
    const b = d.rssBreakdown;
    if (!b) {
      const rss = rssSlope(d);
      const split = rss && isResolved(rss) ? `; its split is not resolved at N = ${formatCount(Math.max(0, ...(d.sizes ?? [])))} (V8 commits its heap in 256 KB pages)` : '';
      notes.push({ design: d.id, at: 0, label: rss ? `RSS per object ${formatSlope(rss, 'rss')}${split}` : `RSS per object not measured (${d.status})` });
      continue;
    }
    // a negative part is a difference of two noisy slopes: drawn as nothing, written "≈ 0"
    const parts = PARTS.map((p) => ({ ...p, bytes: Math.max(0, b[p.key]) }));
    const total = parts.reduce((a, p) => a + p.bytes, 0);
    parts.forEach((p, rank) => segments.push({
      design: d.id, part: p.label, rank, share: p.bytes / total, label: p.bytes / total >= 0.1 ? formatPart(b[p.key]) : '',
    }));
    notes.push({ design: d.id, at: 1, label: `RSS ${formatBytes(b.liveHeap + b.heapSlack + b.outsideHeap)} = ${PARTS.map((p) => formatPart(b[p.key])).join(' + ')}` });
  }
  const y = { field: 'design', type: 'nominal' as const, sort: order, title: null, scale: { domain: order }, axis: { labelFontSize: 11.5, ticks: false } };
  const x = {
    type: 'quantitative' as const, scale: { domain: [0, 1.5], nice: false },
    axis: { values: [0, 0.25, 0.5, 0.75, 1], format: '.0%', title: 'share of RSS per object (RSS = live heap + slack + outside, per object)', grid: true },
  };
  const spec = {
    $schema: SCHEMA_URL,
    title: header(r, 'RSS per object: live heap, heap slack, outside the heap', 'node designs; slopes of heapUsed, heapTotal and RSS over N'),
    width: 640,
    height: { step: 30 },
    config: CONFIG,
    layer: [
      {
        data: { values: segments },
        mark: { type: 'bar', height: { band: 0.7 }, stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          y, x: { ...x, field: 'share', stack: 'zero' },
          order: { field: 'rank', type: 'quantitative' },
          color: { field: 'part', type: 'nominal', title: null, sort: PARTS.map((p) => p.label),
            scale: { domain: PARTS.map((p) => p.label), range: PARTS.map((p) => p.colour) } },
          tooltip: [{ field: 'design' }, { field: 'part' }, { field: 'label', title: 'per object' }],
        },
      },
      {
        data: { values: segments },
        transform: [
          { window: [{ op: 'sum', field: 'share', as: 'end' }], groupby: ['design'], sort: [{ field: 'rank' }] },
          { calculate: 'datum.end - datum.share / 2', as: 'mid' },
        ],
        mark: { type: 'text', fontSize: 10.5, color: 'white', fontWeight: 'bold' },
        encoding: { y, x: { ...x, field: 'mid' }, text: { field: 'label' } },
      },
      {
        data: { values: notes },
        mark: { type: 'text', align: 'left', dx: 5, fontSize: 10.5, color: '#222' },
        encoding: { y, x: { ...x, field: 'at' }, text: { field: 'label' } },
      },
    ],
  } as unknown as TopLevelSpec;
  const caption = 'Each bar is one node design\'s RSS per object as 100 %: the live heap its entries hold (heapUsed slope), ' +
    'heap V8 reserved around them (heapTotal − heapUsed) and memory outside the V8 heap (RSS − heapTotal). A part that came out ' +
    'negative (noise in a difference of slopes) is drawn as 0; a design whose RSS slope is not resolved is written, not drawn.';
  return { name: 'rss-split', title: 'RSS split', caption, lesson: rssLesson(r), spec };
}
