// The post's scenario: tokens/day (log) and cache memory per worker (log), one row per design, two panels.
import type { TopLevelSpec } from 'vega-lite';
import type { Results } from '../../results/schema.ts';
import { modelSectionOf, type TokenModelRow } from '../../model/results-model.ts';
import { POST_ESTIMATES } from '../../model/tokens.ts';
import { KB, MB, GB, formatBytes, machineLine, storeName } from '../format.ts';
import { BYTES_LABEL, CONFIG, SCHEMA_URL, type Chart } from './theme.ts';

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

const CACHE_LEGEND = (workers: number, stores: string) => ({
  none: 'no cache: a token per notification',
  'per-worker': `a cache in each of the ${workers} workers`,
  shared: `one ${stores} cache shared by all workers`,
});
const CACHE_COLOURS = { none: '#9d9d9d', 'per-worker': '#f58518', shared: '#4c78a8' };

/** The post's scenario: tokens/day (log) and cache memory per worker (log), one row per design, two panels. */
export function tokenModelChart(r: Results): Chart {
  const section = modelSectionOf(r);
  const sc = section.scenario;
  const stores = [...new Set(r.designs.filter((d) => d.store && d.topology !== 'per-worker').map((d) => storeName(d)))].join(' / ') || 'store';
  const byId = new Map(r.designs.map((d) => [d.id, d]));
  const legend = CACHE_LEGEND(sc.workers, stores);
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
  // memory: the worker's own cache (every worker pays it) and, for store designs, the shared server (paid once)
  const bars: Array<{ row: string; part: string; value: number; label: string; split: boolean }> = [];
  const notes: Array<{ row: string; label: string }> = [];
  const PER_WORKER = 'cache in each worker process';
  const REDIS = 'store server, shared: paid once';
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
    if (split) bars.push({ row, part: REDIS, value: x.sharedStoreBytes!, label: `+ ${formatBytes(x.sharedStoreBytes!)} in ${storeName(byId.get(x.id))}, once`, split });
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
    $schema: SCHEMA_URL,
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
        title: { text: 'cache memory per worker (+ shared store)', fontSize: 12.5, anchor: 'start' as const },
        // rows with a store server split in two thinner bars, shifted up (worker) and down (store), by mark offsets:
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
    "shared — the post estimated ~1 M/day. A shared store's memory is paid once, not per worker.";
  return { name: 'token-model', title: "Tokens and memory in the post's scenario", caption, spec };
}

