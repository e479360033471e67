// What every chart shares: the Chart shape, fonts and sizes, colours from the metric registry, axis label
// expressions in 1024-based units, and the title with the machine line. One chart per file beside this one.
import type { TopLevelSpec } from 'vega-lite';
import { METRICS, metricInfo, metricLabel, type MetricName } from '../../results/metrics.ts';
import type { Results } from '../../results/schema.ts';
import { GB, KB, MB, machineLine, unitFor } from '../format.ts';

export interface Chart {
  /** file name stem under charts/ */
  name: string;
  title: string;
  /** how to read the chart, one or two sentences under it in the page and the README */
  caption: string;
  /** what a reader learns from it, in this run's numbers (optional; shown before the caption) */
  lesson?: string;
  spec: TopLevelSpec;
}

export const SCHEMA_URL = 'https://vega.github.io/schema/vega-lite/v6.json';
export const FONT = 'DejaVu Sans';
export const CONFIG = {
  font: FONT,
  title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' as const, offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom' as const, labelLimit: 320 },
  axisY: { labelLimit: 320 },
  view: { stroke: '#ddd' },
  background: 'white',
};

export const COLOURS = Object.fromEntries(METRICS.map((m) => [m.name, m.colour])) as Record<MetricName, string>;

/** "heapUsed per object", "Redis used_memory per key", "memcached bytes per key": the registry's words. */
export const perLabel = (m: MetricName, store?: string) => `${metricLabel(m, store)} per ${metricInfo(m).per}`;

/** A colour scale over the labels actually drawn: two labels of one metric (Redis, memcached) share its colour. */
export function colourScale(entries: Array<{ label: string; metric: MetricName }>) {
  const seen = new Map<string, string>();
  for (const e of entries) if (!seen.has(e.label)) seen.set(e.label, COLOURS[e.metric]);
  return { domain: [...seen.keys()], range: [...seen.values()] };
}

/** Vega expression printing a byte count as "150 B", "4 KB", "1.5 MB" (1024-based), for axis labels. */
export const BYTES_LABEL =
  `datum.value >= ${GB} ? format(datum.value / ${GB}, '~r') + ' GB' : ` +
  `datum.value >= ${MB} ? format(datum.value / ${MB}, '~r') + ' MB' : ` +
  `datum.value >= ${KB} ? format(datum.value / ${KB}, '~r') + ' KB' : format(datum.value, '~r') + ' B'`;

export const header = (r: Results, text: string, what: string) => ({ text, subtitle: `${what} · ${machineLine(r)}` });

/** Round tick values for a linear byte axis from 0 to max, in the unit max reads best in (0, 10 KB, 20 KB, …). */
export function byteTicks(max: number, count = 4): number[] {
  const [, size] = unitFor(max);
  const raw = max / size / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((f) => f * mag >= raw) ?? 10) * mag * size;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(v);
  return out;
}
