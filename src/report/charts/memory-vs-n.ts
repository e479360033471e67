// Every sample of every trial above its own trial's fitted N = 0 baseline (each trial is another process, with a
// baseline of its own), one panel per design, with the fitted lines whose slopes the summary reports (a figure
// that is not resolved gets its points, not a line). A point off the line at N = 0 is the one-off step.
import type { TopLevelSpec } from 'vega-lite';
import { isResolved } from '../../analysis/headline.ts';
import { metricLabel, type MetricName } from '../../results/metrics.ts';
import type { Results } from '../../results/schema.ts';
import { KB, metricValue, unitFor } from '../format.ts';
import { BAR_METRICS } from './per-object.ts';
import { CONFIG, SCHEMA_URL, colourScale, header, type Chart } from './theme.ts';

export function memoryVsNChart(r: Results): Chart {
  const measured = r.designs.filter((d) => d.samples.length);
  const metrics = BAR_METRICS.filter((m) => measured.some((d) => d.perObject[m] || d.samples.some((s) => metricValue(s, m) !== undefined)));
  const colours: Array<{ label: string; metric: MetricName }> = [];
  const panels = measured.map((d) => {
    const maxN = Math.max(...d.samples.map((s) => s.n));
    const points: Array<{ n: number; metric: string; y: number; trial: number }> = [];
    const lines: Array<{ n: number; metric: string; y: number }> = [];
    for (const m of metrics) {
      const vals = d.samples.map((s) => [s, metricValue(s, m)] as const).filter(([, v]) => v !== undefined);
      // a figure that never moved (external of a design holding no buffers) is a row of zeros: left out
      if (!vals.length || vals.every(([, v]) => v === vals[0][1])) continue;
      const label = metricLabel(m, d.store);
      colours.push({ label, metric: m });
      const slope = d.perObject[m];
      const minN = Math.min(...vals.map(([s]) => s.n));
      const atMin = vals.filter(([s]) => s.n === minN).map(([, v]) => v as number);
      const pooled = slope?.intercept ?? atMin.reduce((a, b) => a + b, 0) / atMin.length;
      const base = (trial: number) => slope?.trialIntercepts?.[trial] ?? pooled;
      for (const [s, v] of vals) points.push({ n: s.n, metric: label, y: (v as number) - base(s.trial), trial: s.trial });
      if (isResolved(slope)) for (const n of [0, maxN]) lines.push({ n, metric: label, y: slope.bytes * n });
    }
    // one unit per panel, picked from its largest value, so ticks are round numbers of KB or MB
    const top = Math.max(...points.map((p) => Math.abs(p.y)), 1);
    const [unit, size] = unitFor(top)[0] === 'B' ? ['KB', KB] as const : unitFor(top);
    for (const p of [...points, ...lines]) p.y /= size;
    // padding keeps the top points (and labelFlush the top tick label) inside the panel: anything sticking
    // out pushes that panel's title up, and the titles of a row stop lining up
    const yEnc = {
      field: 'y', type: 'quantitative' as const, title: `above the trial's N = 0 fit (${unit})`,
      scale: { padding: 6 }, axis: { tickCount: 5, labelFlush: true },
    };
    const xEnc = {
      field: 'n', type: 'quantitative' as const, title: 'cached objects N',
      axis: { tickCount: 4, labelExpr: "datum.value >= 1000 ? format(datum.value / 1000, '~r') + 'k' : datum.value" },
    };
    return {
      title: { text: d.id, fontSize: 12, anchor: 'start' as const },
      width: 240, height: 170,
      layer: [
        { data: { values: points }, mark: { type: 'point' as const, filled: true, size: 22, opacity: 0.55 },
          encoding: { x: xEnc, y: yEnc, color: { field: 'metric', type: 'nominal' as const, title: null }, tooltip: [{ field: 'metric' }, { field: 'n' }, { field: 'trial' }] } },
        { data: { values: lines }, mark: { type: 'line' as const, strokeWidth: 1.5 },
          encoding: { x: xEnc, y: yEnc, color: { field: 'metric', type: 'nominal' as const, title: null } } },
      ],
    };
  });
  // one colour scale for every panel, over the labels drawn (Redis used_memory and memcached bytes share red)
  const scale = colourScale(colours);
  for (const p of panels) for (const l of p.layer) (l.encoding.color as Record<string, unknown>).scale = scale;
  const notMeasured = r.designs.filter((d) => !d.samples.length);
  if (notMeasured.length || !panels.length) {
    panels.push({
      title: { text: 'not measured', fontSize: 12, anchor: 'start' as const },
      width: 240, height: 170, view: { stroke: null },
      layer: [{
        data: { values: notMeasured.length ? notMeasured.map((d, i) => ({ i, text: `${d.id}\n(${d.status})` })) : [{ i: 0, text: 'no designs in this file' }] },
        mark: { type: 'text', align: 'left', baseline: 'top', lineBreak: '\n', x: 0, fontSize: 11, fontStyle: 'italic', color: '#666' },
        encoding: { y: { field: 'i', type: 'ordinal', axis: null }, text: { field: 'text' } },
      }],
    } as unknown as (typeof panels)[number]);
  }
  const spec = {
    $schema: SCHEMA_URL,
    title: header(r, 'Memory vs number of cached objects',
      'every sample of every trial (points), least-squares fit (lines), 0 = each trial\'s own fit at N = 0'),
    config: CONFIG,
    columns: 3,
    concat: panels,
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
  const caption = 'Each point is one reading (one trial at one N); lines are the fits whose slopes the summary ' +
    'reports, drawn only where the slope is resolved. Each panel is shifted so the fit is 0 at N = 0; the spread ' +
    'around a line is the measurement noise.';
  return { name: 'memory-vs-n', title: 'Memory vs N', caption, spec };
}
