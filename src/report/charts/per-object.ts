// Memory per cached object, one panel per design, one bar per measured figure (log scale), the post's figure as
// a dashed line. A figure that is not resolved is a line of text, never a bar.
import type { TopLevelSpec } from 'vega-lite';
import { isResolved } from '../../analysis/headline.ts';
import { BYTE_METRICS, type MetricName } from '../../results/metrics.ts';
import type { DesignResult, Results, Slope } from '../../results/schema.ts';
import { KB, MB, formatBytes, formatSlope } from '../format.ts';
import { BYTES_LABEL, CONFIG, SCHEMA_URL, colourScale, header, perLabel, type Chart } from './theme.ts';

// Node heap (blue), Node native (light blue), process RSS (orange), python heap (green), the store server's
// memory (red/pink): the registry's colour for a metric in every chart.
// Every byte metric of the registry, in its order; pidusage's RSS is drawn as RSS where the child has no own reading.
export const BAR_METRICS: MetricName[] = BYTE_METRICS.filter((m) => m !== 'pidusageRss');

/** The RSS slope of a design: the child's own reading, else pidusage's (python reports through pidusage). */
export function rssSlope(d: DesignResult): Slope | undefined {
  return d.perObject.rss ?? d.perObject.pidusageRss;
}

// Log axis floor: bars start here; text rows (not resolved, not measured) sit on it.
const FLOOR = 10;

export function perObjectChart(r: Results): Chart {
  const order = r.designs.map((d) => d.id);
  const present = BAR_METRICS.filter((m) => r.designs.some((d) => d.perObject[m]));
  const ref = r.reference.bytesPerObject;
  const colours: Array<{ label: string; metric: MetricName }> = [];
  const rows = r.designs.flatMap((d) => {
    const bars = present.flatMap((m) => {
      const s = m === 'rss' ? rssSlope(d) : d.perObject[m];
      if (!s) return [];
      const metric = perLabel(m, d.store);
      colours.push({ label: metric, metric: m });
      const rank = present.indexOf(m);
      if (!isResolved(s)) {
        return [{ design: d.id, metric, rank, bar: false, x: FLOOR, lo: FLOOR, hi: FLOOR, label: formatSlope(s, m), ref }];
      }
      return [{ design: d.id, metric, rank, bar: true, x: s.bytes, lo: Math.max(FLOOR, s.ci95[0]), hi: s.ci95[1], label: formatBytes(s.bytes), ref }];
    });
    // a design without any reading keeps its row, saying why, instead of silently vanishing
    return bars.length ? bars : [{
      design: d.id, metric: ' ', rank: present.length, bar: false, x: FLOOR, lo: FLOOR, hi: FLOOR, ref,
      label: d.samples.length ? `no per-object slope in the file (${d.status})` : `not measured (${d.status})`,
    }];
  });
  const max = Math.max(ref, ...rows.map((x) => x.hi));
  const ticks = [10, 100, KB, 10 * KB, 100 * KB, MB, 10 * MB].filter((t) => t <= max * 4);
  const x = {
    type: 'quantitative' as const,
    scale: { type: 'log' as const, domain: [FLOOR, ticks[ticks.length - 1]] },
    axis: { values: ticks, labelExpr: BYTES_LABEL, title: 'bytes per cached object (log scale) · bar = mean slope, whisker = 95 % CI', grid: true },
  };
  // rows in the registry's order within each panel, whatever the store is called
  const y = { field: 'metric', type: 'nominal' as const, sort: { field: 'rank', op: 'min' as const }, title: null, axis: { ticks: false } };
  // a long bar carries its value inside its end, so the label does not collide with the reference line
  const inside = `datum.bar && datum.x > ${ticks[ticks.length - 1] / 40}`;
  const spec = {
    $schema: SCHEMA_URL,
    title: header(r, 'Memory per cached object, by design', 'slope of memory over N; store rows: the store server, per key'),
    config: CONFIG,
    data: { values: rows },
    facet: {
      row: {
        field: 'design', type: 'nominal', sort: order, title: null,
        header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontSize: 12, labelFontWeight: 'bold', labelPadding: 2 },
      },
    },
    spacing: 8,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 700,
      height: { step: 17 },
      layer: [
        {
          transform: [{ filter: 'datum.bar' }],
          mark: { type: 'bar', height: { band: 0.8 } },
          encoding: {
            // log scales have no zero: bars start at the axis floor
            y, x: { ...x, field: 'x' }, x2: { datum: FLOOR },
            color: { field: 'metric', type: 'nominal', scale: colourScale(colours), legend: null },
            tooltip: [{ field: 'design' }, { field: 'metric' }, { field: 'label', title: 'per object' }],
          },
        },
        {
          transform: [{ filter: 'datum.bar' }],
          mark: { type: 'rule', color: '#222' },
          encoding: { y, x: { ...x, field: 'lo' }, x2: { field: 'hi' } },
        },
        {
          transform: [{ filter: `datum.bar && !(${inside})` }],
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 10.5, color: '#222' },
          encoding: { y, x: { ...x, field: 'hi' }, text: { field: 'label' } },
        },
        {
          transform: [{ filter: '!datum.bar' }],
          mark: { type: 'text', align: 'left', dx: 2, fontSize: 10.5, fontStyle: 'italic', color: '#666' },
          encoding: { y, x: { ...x, field: 'x' }, text: { field: 'label' } },
        },
        {
          transform: [{ filter: inside }],
          mark: { type: 'text', align: 'right', dx: -4, fontSize: 10.5, color: 'white', fontWeight: 'bold' },
          encoding: { y, x: { ...x, field: 'x' }, text: { field: 'label' } },
        },
        {
          // one rule per panel (aggregate), labelled once, in the first panel
          transform: [{ aggregate: [{ op: 'max', field: 'ref', as: 'ref' }], groupby: ['design'] }],
          layer: [
            { mark: { type: 'rule', strokeDash: [6, 4], color: '#333', strokeWidth: 1.5 }, encoding: { x: { ...x, field: 'ref' } } },
            {
              transform: [{ filter: `datum.design === ${JSON.stringify(order[0] ?? '')}` }],
              mark: { type: 'text', align: 'right', baseline: 'bottom', dx: 4, dy: -2, y: 0, fontSize: 11, fontWeight: 'bold', color: '#333' },
              encoding: { x: { ...x, field: 'ref' }, text: { value: `post (2015): ${formatBytes(ref)}` } },
            },
          ],
        },
      ],
    },
  } as TopLevelSpec;
  const caption = `Bars: mean per-object slope over trials; whiskers: 95 % CI; dashed line: the post's ${formatBytes(ref)}. ` +
    'Log scale so that ≈ 100 B and ≈ 50 KB both read. A figure whose CI includes 0 (or whose sign is impossible) is ' +
    'written "not resolved at N = …" instead of a bar.';
  return { name: 'per-object', title: 'Memory per cached object', caption, spec };
}
