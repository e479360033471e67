// Latency per lookup: tinybench p50, mean and p99 per operation on a log axis, and Aodh's own notifier's mean time
// per notification (one mean per run, no percentiles), with the Keystone they ran against in the subtitle.
import type { TopLevelSpec } from 'vega-lite';
import type { Results } from '../../results/schema.ts';
import { formatCount, formatMs } from '../format.ts';
import { textWidth } from '../render.ts';
import { NOTIFIER_OPERATION, keystoneText } from '../view.ts';
import { CONFIG, SCHEMA_URL, header, type Chart } from './theme.ts';

/** Vega expression printing milliseconds as ns/µs/ms/s for the latency axis. */
const MS_LABEL =
  `datum.value < 0.001 ? format(datum.value * 1e6, '~r') + ' ns' : datum.value < 1 ? format(datum.value * 1e3, '~r') + ' µs' : ` +
  `datum.value < 1000 ? format(datum.value, '~r') + ' ms' : format(datum.value / 1000, '~r') + ' s'`;

export function latencyChart(r: Results): Chart | undefined {
  const n = r.notifier;
  if (!r.latency?.length && !n) return undefined;
  const timed = r.latency ?? [];
  const order = [...(n ? [NOTIFIER_OPERATION] : []), ...timed.map((l) => l.name)];
  const points = [
    ...(n ? [{ name: NOTIFIER_OPERATION, stat: 'mean', ms: n.msPerNotification }] : []),
    ...timed.flatMap((l) => [
      { name: l.name, stat: 'p50', ms: l.p50Ms },
      { name: l.name, stat: 'mean', ms: l.meanMs },
      { name: l.name, stat: 'p99', ms: l.p99Ms },
    ]),
  ];
  const ranges = [
    ...(n ? [{ name: NOTIFIER_OPERATION, lo: n.msPerNotification, hi: n.msPerNotification,
      label: `mean ${formatMs(n.msPerNotification)} (${formatCount(n.notifications)} notifications)` }] : []),
    ...timed.map((l) => ({
      name: l.name, lo: Math.min(l.p50Ms, l.meanMs), hi: Math.max(l.p99Ms, l.meanMs),
      label: `mean ${formatMs(l.meanMs)} ±${l.rme.toFixed(1)} %`,
    })),
  ];
  const lo = Math.min(...points.map((p) => p.ms));
  const hi = Math.max(...points.map((p) => p.ms));
  const ticks = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1000, 1e4, 1e5];
  const from = Math.max(...ticks.filter((t) => t <= lo), ticks[0]);
  const to = Math.min(...ticks.filter((t) => t >= hi * 20), ticks[ticks.length - 1]);
  const x = {
    type: 'quantitative' as const, scale: { type: 'log' as const, domain: [from, to] },
    axis: { values: ticks.filter((t) => t >= from && t <= to), labelExpr: MS_LABEL, title: 'time per operation (log scale)', grid: true },
  };
  // every operation's name whole: the axis is as wide as the longest label (11 px, the theme's label size)
  const labelLimit = Math.ceil(Math.max(...order.map((o) => textWidth(o, 11)))) + 8;
  const y = { field: 'name', type: 'nominal' as const, sort: order, title: null, axis: { labelLimit } };
  const spec: TopLevelSpec = {
    $schema: SCHEMA_URL,
    title: header(r, 'Latency per lookup', `against ${keystoneText(r)}; p50, mean and p99 per operation (node: tinybench; python: perf_counter)`),
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
    'margin of error of the mean.' + (n ? " Aodh's notifier: its mean wall time per notification (a new client and token each), " +
      'measured on the installed notifier; no percentiles.' : '');
  return { name: 'latency', title: 'Latency per lookup', caption, spec };
}

