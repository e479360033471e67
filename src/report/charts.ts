// Vega-Lite specs built from a Results object: pure functions, no I/O, so tests and the report share them.
// Sizes are given in bytes in the data and shown in KB/MB (1024-based) through label expressions.
import { perObjectCost } from '../model/results-model.ts';
import type { TopLevelSpec } from 'vega-lite';
import { METRICS, metricInfo } from '../results/metrics.ts';
import type { DesignResult, MetricName, Results, Slope } from '../results/schema.ts';
import { GB, KB, MB, METRIC_LABELS, formatBytes, formatMs, machineLine, metricValue, unitFor } from './format.ts';
import { modelSectionOf, type TokenModelRow } from '../model/results-model.ts';
import { POST_ESTIMATES } from '../model/tokens.ts';

export interface Chart {
  /** file name stem under charts/ */
  name: string;
  title: string;
  /** how to read the chart, one or two sentences under it in the page and the README */
  caption: string;
  spec: TopLevelSpec;
}

const FONT = 'DejaVu Sans';
const CONFIG = {
  font: FONT,
  title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' as const, offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom' as const, labelLimit: 320 },
  axisY: { labelLimit: 320 },
  view: { stroke: '#ddd' },
  background: 'white',
};

// Per-object bars: Node heap (blue), Node native (light blue), process RSS (orange), python heap (green),
// the Redis server's memory (red/pink) — the same colour for a metric in every chart.
const BAR_METRICS: MetricName[] = ['heapUsed', 'external', 'rss', 'tracemalloc', 'storeUsedMemory', 'storeRss'];
const COLOURS = Object.fromEntries(METRICS.map((m) => [m.name, m.colour])) as Record<MetricName, string>;
const metricLabel = (m: MetricName) => `${METRIC_LABELS[m]} per ${metricInfo(m).per}`;
const colourScale = (metrics: MetricName[], label = metricLabel) => ({
  domain: metrics.map(label), range: metrics.map((m) => COLOURS[m]),
});
// memory-vs-N plots totals, not per-key costs
const totalLabel = (m: MetricName) => METRIC_LABELS[m];

/** Vega expression printing a byte count as "150 B", "4 KB", "1.5 MB" (1024-based), for axis labels. */
const BYTES_LABEL =
  `datum.value >= ${GB} ? format(datum.value / ${GB}, '~r') + ' GB' : ` +
  `datum.value >= ${MB} ? format(datum.value / ${MB}, '~r') + ' MB' : ` +
  `datum.value >= ${KB} ? format(datum.value / ${KB}, '~r') + ' KB' : format(datum.value, '~r') + ' B'`;

const header = (r: Results, text: string, what: string) => ({
  text, subtitle: `${what} · ${machineLine(r)}`,
});

/** The RSS slope of a design: the child's own reading, else pidusage's (python reports through pidusage). */
function rssSlope(d: DesignResult): Slope | undefined {
  return d.perObject.rss ?? d.perObject.pidusageRss;
}

// Log axis floor: a slope at or below it (0, negative, noise) is drawn at the floor and labelled with its value.
const FLOOR = 10;

export function perObjectChart(r: Results): Chart {
  const order = r.designs.map((d) => d.id);
  const present = BAR_METRICS.filter((m) => r.designs.some((d) => d.perObject[m]));
  const ref = r.reference.bytesPerObject;
  const clamp = (v: number) => Math.max(FLOOR, v);
  const rows = r.designs.flatMap((d) => {
    const bars = present.flatMap((m) => {
      const s = m === 'rss' ? rssSlope(d) : d.perObject[m];
      return s ? [{
        design: d.id, metric: metricLabel(m), bar: true, x: clamp(s.bytes), lo: clamp(s.ci95[0]), hi: clamp(s.ci95[1]),
        label: formatBytes(s.bytes), ref,
      }] : [];
    });
    // a design without any reading keeps its row, saying why, instead of silently vanishing
    return bars.length ? bars : [{
      design: d.id, metric: ' ', bar: false, x: FLOOR, lo: FLOOR, hi: FLOOR, ref,
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
  const y = { field: 'metric', type: 'nominal' as const, sort: [...present.map(metricLabel), ' '], title: null, axis: { ticks: false } };
  // a long bar carries its value inside its end, so the label does not collide with the reference line
  const inside = `datum.bar && datum.x > ${ticks[ticks.length - 1] / 40}`;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: header(r, 'Memory per cached object, by design', 'slope of memory over N; Redis rows: the Redis server, per key'),
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
            color: { field: 'metric', type: 'nominal', scale: colourScale(present), legend: null },
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
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, fontStyle: 'italic', color: '#666' },
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
              mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, dy: -2, y: 0, fontSize: 11, fontWeight: 'bold', color: '#333' },
              encoding: { x: { ...x, field: 'ref' }, text: { value: `post (2015): ${formatBytes(ref)}` } },
            },
          ],
        },
      ],
    },
  } as TopLevelSpec;
  const caption = `Bars: mean per-object slope over trials; whiskers: 95 % CI; dashed line: the post's ${formatBytes(ref)}. ` +
    `Log scale so that ≈ 100 B and ≈ 50 KB both read; a value at or below ${FLOOR} B sits on the axis with its value.`;
  return { name: 'per-object', title: 'Memory per cached object', caption, spec };
}

/** Raw samples (above the fitted N = 0 baseline, so one design's metrics share an axis) and the fitted lines. */
export function memoryVsNChart(r: Results): Chart {
  const measured = r.designs.filter((d) => d.samples.length);
  const metrics = BAR_METRICS.filter((m) => measured.some((d) => d.perObject[m] || d.samples.some((s) => metricValue(s, m) !== undefined)));
  const panels = measured.map((d) => {
    const maxN = Math.max(...d.samples.map((s) => s.n));
    const points: Array<{ n: number; metric: string; y: number; trial: number }> = [];
    const lines: Array<{ n: number; metric: string; y: number }> = [];
    for (const m of metrics) {
      const vals = d.samples.map((s) => [s, metricValue(s, m)] as const).filter(([, v]) => v !== undefined);
      if (!vals.length) continue;
      const slope = d.perObject[m];
      const minN = Math.min(...vals.map(([s]) => s.n));
      const atMin = vals.filter(([s]) => s.n === minN).map(([, v]) => v as number);
      const base = slope?.intercept ?? atMin.reduce((a, b) => a + b, 0) / atMin.length;
      for (const [s, v] of vals) points.push({ n: s.n, metric: totalLabel(m), y: (v as number) - base, trial: s.trial });
      if (slope) for (const n of [0, maxN]) lines.push({ n, metric: totalLabel(m), y: slope.bytes * n });
    }
    // one unit per panel, picked from its largest value, so ticks are round numbers of KB or MB
    const top = Math.max(...points.map((p) => Math.abs(p.y)), 1);
    const [unit, size] = unitFor(top)[0] === 'B' ? ['KB', KB] as const : unitFor(top);
    for (const p of [...points, ...lines]) p.y /= size;
    // padding keeps the top points (and labelFlush the top tick label) inside the panel: anything sticking
    // out pushes that panel's title up, and the titles of a row stop lining up
    const yEnc = {
      field: 'y', type: 'quantitative' as const, title: `above N = 0 baseline (${unit})`,
      scale: { padding: 6 }, axis: { tickCount: 5, labelFlush: true },
    };
    const xEnc = {
      field: 'n', type: 'quantitative' as const, title: 'cached objects N',
      axis: { tickCount: 4, labelExpr: "datum.value >= 1000 ? format(datum.value / 1000, '~r') + 'k' : datum.value" },
    };
    const colour = { field: 'metric', type: 'nominal' as const, scale: colourScale(metrics, totalLabel), title: null };
    return {
      title: { text: d.id, fontSize: 12, anchor: 'start' as const },
      width: 240, height: 170,
      layer: [
        { data: { values: points }, mark: { type: 'point' as const, filled: true, size: 22, opacity: 0.55 },
          encoding: { x: xEnc, y: yEnc, color: colour, tooltip: [{ field: 'metric' }, { field: 'n' }, { field: 'trial' }] } },
        { data: { values: lines }, mark: { type: 'line' as const, strokeWidth: 1.5 }, encoding: { x: xEnc, y: yEnc, color: colour } },
      ],
    };
  });
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
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: header(r, 'Memory vs number of cached objects',
      'every sample of every trial (points), least-squares fit (lines), 0 = fit at N = 0'),
    config: CONFIG,
    columns: 3,
    concat: panels,
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
  const caption = 'Each point is one fresh process (one trial at one N); lines are the fits whose slopes the summary ' +
    'reports. Each panel is shifted so the fit is 0 at N = 0; the spread around a line is the measurement noise.';
  return { name: 'memory-vs-n', title: 'Memory vs N', caption, spec };
}

export const PROJECTION_SIZES = [10_000, 100_000, 1_000_000];

/** Projected memory per worker (RSS slope × trusts) and, for Redis designs, in the shared Redis server. */
export function projectionChart(r: Results): Chart {
  const rows: Array<{ row: string; trusts: string; bytes: number; label: string }> = [];
  const add = (row: string, perObject: number) => {
    if (!(perObject > 0)) return; // a non-positive slope is noise: nothing to project
    for (const n of PROJECTION_SIZES) {
      rows.push({ row, trusts: `${n.toLocaleString('en-US')} trusts`, bytes: perObject * n, label: formatBytes(perObject * n) });
    }
  };
  for (const d of r.designs) {
    // RSS when its slope is resolved, else the V8 heap (the same choice as the token model)
    const cost = perObjectCost(d);
    if (cost) add(`${d.id}: worker ${cost.metric === 'heapUsed' ? 'heap' : 'RSS'}`, cost.bytes);
    if (d.perObject.storeUsedMemory) add(`${d.id}: ${d.store ?? 'store'} server (shared)`, d.perObject.storeUsedMemory.bytes);
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
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: header(r, 'Projection: memory at scale (not measured at these N)',
      'measured RSS slope × N (heap where the RSS slope is not resolved), per worker; the Redis server is shared by all workers'),
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
  const caption = 'Projection, not a measurement: measured RSS slope (V8 heap where the RSS CI includes 0) × cached trusts, per worker ' +
    'process; the Redis rows are the Redis server, paid once however many workers there are.';
  return { name: 'projection', title: 'Projection at scale', caption, spec };
}

/** Vega expression printing milliseconds as ns/µs/ms/s for the latency axis. */
const MS_LABEL =
  `datum.value < 0.001 ? format(datum.value * 1e6, '~r') + ' ns' : datum.value < 1 ? format(datum.value * 1e3, '~r') + ' µs' : ` +
  `datum.value < 1000 ? format(datum.value, '~r') + ' ms' : format(datum.value / 1000, '~r') + ' s'`;

export function latencyChart(r: Results): Chart | undefined {
  if (!r.latency?.length) return undefined;
  const order = r.latency.map((l) => l.name);
  const points = r.latency.flatMap((l) => [
    { name: l.name, stat: 'p50', ms: l.p50Ms },
    { name: l.name, stat: 'mean', ms: l.meanMs },
    { name: l.name, stat: 'p99', ms: l.p99Ms },
  ]);
  const ranges = r.latency.map((l) => ({
    name: l.name, lo: Math.min(l.p50Ms, l.meanMs), hi: Math.max(l.p99Ms, l.meanMs),
    label: `mean ${formatMs(l.meanMs)} ±${l.rme.toFixed(1)} %`,
  }));
  const lo = Math.min(...points.map((p) => p.ms));
  const hi = Math.max(...points.map((p) => p.ms));
  const ticks = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1000, 1e4, 1e5];
  const from = Math.max(...ticks.filter((t) => t <= lo), ticks[0]);
  const to = Math.min(...ticks.filter((t) => t >= hi * 20), ticks[ticks.length - 1]);
  const x = {
    type: 'quantitative' as const, scale: { type: 'log' as const, domain: [from, to] },
    axis: { values: ticks.filter((t) => t >= from && t <= to), labelExpr: MS_LABEL, title: 'time per operation (log scale)', grid: true },
  };
  const y = { field: 'name', type: 'nominal' as const, sort: order, title: null, axis: { labelLimit: 300 } };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: header(r, 'Latency per lookup', 'tinybench p50, mean and p99 per operation'),
    width: 640,
    height: { step: 34 },
    config: CONFIG,
    layer: [
      { data: { values: ranges }, mark: { type: 'rule', color: '#888' }, encoding: { y, x: { ...x, field: 'lo' }, x2: { field: 'hi' } } },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.95 },
        encoding: {
          y, x: { ...x, field: 'ms' },
          shape: { field: 'stat', type: 'nominal', sort: ['p50', 'mean', 'p99'], title: null, scale: { range: ['circle', 'diamond', 'triangle-right'] } },
          color: { field: 'stat', type: 'nominal', sort: ['p50', 'mean', 'p99'], title: null, scale: { range: ['#4c78a8', '#222', '#e45756'] } },
        },
      },
      { data: { values: ranges }, mark: { type: 'text', align: 'left', dx: 9, fontSize: 10 }, encoding: { y, x: { ...x, field: 'hi' }, text: { field: 'label' } } },
    ],
  };
  const caption = 'p50 (circle), mean (diamond) and p99 (triangle) per operation, log scale; ± is the relative ' +
    'margin of error of the mean.';
  return { name: 'latency', title: 'Latency per lookup', caption, spec };
}

/** "244 k", "14.4 M", "1.44 B": token counts for labels. */
export function formatTokens(v: number): string {
  const sig = (x: number) => String(Number(x.toPrecision(3)));
  if (v >= 1e9) return `${sig(v / 1e9)} B`;
  if (v >= 1e6) return `${sig(v / 1e6)} M`;
  if (v >= 1e3) return `${sig(v / 1e3)} k`;
  return String(Math.round(v));
}

const TOKENS_LABEL =
  `datum.value >= 1e9 ? format(datum.value / 1e9, '~r') + ' B' : datum.value >= 1e6 ? format(datum.value / 1e6, '~r') + ' M' : ` +
  `datum.value >= 1e3 ? format(datum.value / 1e3, '~r') + ' k' : format(datum.value, '~r')`;

const CACHE_LEGEND = (workers: number) => ({
  none: 'no cache: a token per notification',
  'per-worker': `a cache in each of the ${workers} workers`,
  shared: 'one Redis cache shared by all workers',
});
const CACHE_COLOURS = { none: '#9d9d9d', 'per-worker': '#f58518', shared: '#4c78a8' };

/** The post's scenario: tokens/day (log) and cache memory per worker (log), one row per design, two panels. */
export function tokenModelChart(r: Results): Chart {
  const section = modelSectionOf(r);
  const sc = section.scenario;
  const legend = CACHE_LEGEND(sc.workers);
  const rowLabel = (x: TokenModelRow) =>
    x.id === 'no-cache' ? 'no cache' : x.id === 'no-cache-worst' ? 'no cache, worst case' : x.id === 'post-2015' ? "post's 47 KB client (2015)" : x.id;
  const order = section.rows.map(rowLabel);
  const noCache = section.rows.find((x) => x.id === 'no-cache')?.tokensPerDay ?? 0;
  const tokens = section.rows.map((x) => ({
    row: rowLabel(x), cache: legend[x.cache], value: x.tokensPerDay,
    label: `${formatTokens(x.tokensPerDay)}${x.cache === 'none' ? '' : ` (${Number((x.tokensPerDay / noCache * 100).toPrecision(2))} % of no cache)`}` +
      // the post's own figure for its cached notifier: "only one million tokens"
      (x.id === 'post-2015' ? ` · post: ~${formatTokens(POST_ESTIMATES.cachedPerDay)}` : ''),
  }));
  // memory: the worker's own cache (every worker pays it) and, for Redis designs, the shared server (paid once)
  const bars: Array<{ row: string; part: string; value: number; label: string; split: boolean }> = [];
  const notes: Array<{ row: string; label: string }> = [];
  const PER_WORKER = 'cache in each worker process';
  const REDIS = 'Redis server, shared: paid once';
  for (const x of section.rows) {
    const row = rowLabel(x);
    if (x.cache === 'none') {
      notes.push({ row, label: 'nothing cached' });
      continue;
    }
    if (x.bytesPerWorker === null || !(x.bytesPerWorker > 0)) {
      notes.push({ row, label: `not measured${x.status && x.status !== 'ok' ? ` (${x.status})` : ''}` });
      continue;
    }
    const split = !!(x.sharedStoreBytes && x.sharedStoreBytes > 0);
    const heap = x.bytesMetric === 'heapUsed' ? ' (heap)' : '';
    bars.push({ row, part: PER_WORKER, value: x.bytesPerWorker, label: `${formatBytes(x.bytesPerWorker)} per worker${heap}`, split });
    if (split) bars.push({ row, part: REDIS, value: x.sharedStoreBytes!, label: `+ ${formatBytes(x.sharedStoreBytes!)} in Redis, once`, split });
  }
  const tokenTicks = [1e5, 1e6, 1e7, 1e8, 1e9, 1e10];
  const tMax = Math.max(...tokens.map((t) => t.value), 1e6);
  const tMin = Math.min(...tokens.map((t) => t.value).filter((v) => v > 0), 1e6);
  const tFloor = Math.max(...tokenTicks.filter((t) => t <= tMin / 2), 1e4);
  // the domain leaves room right of the longest bar for its label
  const tTop = tMax * 12;
  const memValues = bars.map((b) => b.value);
  const mMin = Math.min(...memValues, MB);
  const mMax = Math.max(...memValues, MB);
  const memTicks = [10 * KB, 100 * KB, MB, 10 * MB, 100 * MB, GB, 10 * GB, 100 * GB];
  const mFloor = Math.max(...memTicks.filter((t) => t <= mMin / 2), 10 * KB);
  const mTop = mMax * 30;
  const y = { field: 'row', type: 'nominal' as const, sort: order, title: null, axis: { labelLimit: 260, labelFontSize: 11.5, ticks: false } };
  const yNoAxis = { ...y, axis: null };
  const tokensX = {
    field: 'value', type: 'quantitative' as const,
    scale: { type: 'log' as const, domain: [tFloor, tTop], nice: false },
    axis: { values: tokenTicks.filter((t) => t >= tFloor && t <= tTop), labelExpr: TOKENS_LABEL, title: 'tokens minted per day (log scale)', grid: true },
  };
  const memX = {
    field: 'value', type: 'quantitative' as const,
    scale: { type: 'log' as const, domain: [mFloor, mTop], nice: false },
    axis: { values: memTicks.filter((t) => t >= mFloor && t <= mTop), labelExpr: BYTES_LABEL, title: 'cache memory (log scale)', grid: true },
  };
  const step = 30;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: "The post's scenario: tokens per day and cache memory, per design",
      subtitle: [
        `${sc.alarms.toLocaleString('en-US')} alarms, ${sc.firingFraction * 100} % firing every ${sc.evaluationIntervalS} s, ` +
          `${sc.trusts.toLocaleString('en-US')} trusts, ${sc.workers} workers, ${sc.tokenLifetimeS} s tokens (${sc.refreshMarginS} s margin)`,
        `token model × measured memory per object (RSS; heap where the RSS slope is not resolved) · ${machineLine(r)}`,
      ],
    },
    config: { ...CONFIG, legend: { ...CONFIG.legend, columns: 1 } },
    spacing: 14,
    resolve: { scale: { color: 'independent', y: 'shared' } },
    hconcat: [
      {
        width: 360, height: { step },
        title: { text: 'tokens per day', fontSize: 12.5, anchor: 'start' as const },
        data: { values: tokens },
        layer: [
          {
            mark: { type: 'bar', height: { band: 0.7 } },
            encoding: {
              y, x: tokensX, x2: { datum: tFloor },
              color: { field: 'cache', type: 'nominal', title: null,
                scale: { domain: [legend.none, legend['per-worker'], legend.shared], range: [CACHE_COLOURS.none, CACHE_COLOURS['per-worker'], CACHE_COLOURS.shared] } },
              tooltip: [{ field: 'row', title: 'design' }, { field: 'label', title: 'tokens/day' }],
            },
          },
          { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10.5, color: '#222' }, encoding: { y, x: tokensX, text: { field: 'label' } } },
        ],
      },
      {
        width: 330, height: { step },
        title: { text: 'cache memory per worker (+ shared Redis)', fontSize: 12.5, anchor: 'start' as const },
        // rows with a Redis server split in two thinner bars, shifted up (worker) and down (Redis), by mark offsets:
        // the yOffset channel would change the row step and the rows would no longer line up with the left panel
        layer: [
          ...([
            ['!datum.split', 15, 0, 10.5],
            [`datum.split && datum.part === '${PER_WORKER}'`, 9, -5.5, 10],
            [`datum.part === '${REDIS}'`, 9, 5.5, 10],
          ] as const).flatMap(([filter, height, dy, fontSize]) => [
            {
              data: { values: bars },
              transform: [{ filter }],
              mark: { type: 'bar', height, yOffset: dy },
              encoding: {
                y: yNoAxis, x: memX, x2: { datum: mFloor },
                color: { field: 'part', type: 'nominal', title: null, scale: { domain: [PER_WORKER, REDIS], range: ['#f2a65a', '#e45756'] } },
                tooltip: [{ field: 'row', title: 'design' }, { field: 'part' }, { field: 'label', title: 'memory' }],
              },
            },
            {
              data: { values: bars },
              transform: [{ filter }],
              mark: { type: 'text', align: 'left', dx: 4, yOffset: dy, fontSize, color: '#222' },
              encoding: { y: yNoAxis, x: memX, text: { field: 'label' } },
            },
          ]),
          {
            data: { values: notes },
            mark: { type: 'text', align: 'left', dx: 4, fontSize: 10.5, fontStyle: 'italic', color: '#777' },
            encoding: { y: yNoAxis, x: { datum: mFloor, type: 'quantitative', scale: memX.scale }, text: { field: 'label' } },
          },
        ],
      },
    ],
  } as unknown as TopLevelSpec;
  const caption = `Model, not measurement: the token model (renewal, ${sc.tokenLifetimeS - sc.refreshMarginS} s usable per token) for the ` +
    `post's scenario, with each design's measured RSS per cached object (V8 heap where the RSS slope's CI includes 0) × the ` +
    `trusts a worker caches in a day. Log scales: ` +
    `no cache mints ${formatTokens(noCache)}/day, ${formatTokens(section.rows.find((x) => x.id === 'no-cache-worst')?.tokensPerDay ?? 0)} ` +
    "in the worst case (the post's figures); a cache mints per trust per token lifetime, in every worker unless the cache is " +
    "shared — the post estimated ~1 M/day. Redis memory is paid once, not per worker.";
  return { name: 'token-model', title: "Tokens and memory in the post's scenario", caption, spec };
}

/** Every chart the results support, in report order. */
export function allCharts(r: Results): Chart[] {
  const charts = [perObjectChart(r), memoryVsNChart(r), projectionChart(r), tokenModelChart(r)];
  const lat = latencyChart(r);
  if (lat) charts.push(lat);
  return charts;
}
