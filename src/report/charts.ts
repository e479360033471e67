// Vega-Lite specs built from a Results object: pure functions, no I/O, so tests and the report share them. One
// file per chart under ./charts/, the shared look in ./charts/theme.ts; this file lists them in report order.
import type { Results } from '../results/schema.ts';
import { bytesByOwnerChart } from './charts/bytes-by-owner.ts';
import { latencyChart } from './charts/latency.ts';
import { memoryVsNChart } from './charts/memory-vs-n.ts';
import { perObjectChart } from './charts/per-object.ts';
import { projectionChart } from './charts/projection.ts';
import { rssSplitChart } from './charts/rss-split.ts';
import type { Chart } from './charts/theme.ts';
import { tokenModelChart } from './charts/token-model.ts';
import { defaultEpisodesChart } from './charts/episodes-default.ts';

export { bytesByOwnerChart, latencyChart, perObjectChart, projectionChart, rssSplitChart, tokenModelChart };

/** Charts about how the figures were made rather than which design to pick: the report's appendix. */
const METHOD_CHARTS = new Set(['memory-vs-n', 'rss-split']);
export const isMethodChart = (name: string): boolean => METHOD_CHARTS.has(name);

/** Every chart the results support, in report order. */
export function allCharts(r: Results): Chart[] {
  return [
    perObjectChart(r), bytesByOwnerChart(r), rssSplitChart(r), memoryVsNChart(r), projectionChart(r), tokenModelChart(r), defaultEpisodesChart(r), latencyChart(r),
  ].filter((c): c is Chart => !!c);
}
