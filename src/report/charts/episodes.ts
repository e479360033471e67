// Tokens/day against how long alarms stay in the alarm state (src/model/episode-sweep.ts): one line per cache
// topology, log–log, with the random and sticky models as dashed references.
import type { TopLevelSpec } from 'vega-lite';
import type { Sweep } from '../../model/episode-sweep.ts';
import { CONFIG, SCHEMA_URL, type Chart } from './theme.ts';
import { formatTokens } from './token-model.ts';

const TOKENS_LABEL =
  `datum.value >= 1e9 ? format(datum.value / 1e9, '~r') + ' B' : datum.value >= 1e6 ? format(datum.value / 1e6, '~r') + ' M' : ` +
  `datum.value >= 1e3 ? format(datum.value / 1e3, '~r') + ' k' : format(datum.value, '~r')`;

export interface EpisodesChartContext {
  /** one line: the deployment and the model in force */
  subtitle: string;
  /** the designs of each topology, for the legend */
  designs?: { 'per-worker': string[]; shared: string[] };
}

export function episodesChart(s: Sweep, ctx: EpisodesChartContext): Chart {
  const name = (t: 'none' | 'per-worker' | 'shared') => t === 'none' ? 'no cache (a token per notification)'
    : t === 'per-worker' ? `a cache in each worker${ctx.designs?.['per-worker'].length ? ` (${ctx.designs['per-worker'].join(', ')})` : ''}`
      : `one shared store${ctx.designs?.shared.length ? ` (${ctx.designs.shared.join(', ')})` : ''}`;
  const colour = { none: '#9d9d9d', 'per-worker': '#f58518', shared: '#4c78a8' };
  const lines = s.points.map((p) => ({ minutes: p.minutes, tokens: p.tokensPerDay, series: name(p.topology) }));
  const refs = s.reference.map((r) => ({ tokens: r.tokensPerDay, series: name(r.topology), label: `${r.model}: ${formatTokens(r.tokensPerDay)}` }));
  const domain = [name('none'), name('per-worker'), name('shared')];
  const range = [colour.none, colour['per-worker'], colour.shared];
  const spec: TopLevelSpec = {
    $schema: SCHEMA_URL,
    config: CONFIG,
    width: 640,
    height: 340,
    title: { text: 'Tokens/day against the mean time an alarm stays in the alarm state', subtitle: ctx.subtitle },
    layer: [
      {
        data: { values: lines },
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          x: { field: 'minutes', type: 'quantitative', scale: { type: 'log', domain: [1, 1440], nice: false }, title: 'mean episode duration, minutes (log)', axis: { values: [1, 10, 60, 240, 1440] } },
          y: { field: 'tokens', type: 'quantitative', scale: { type: 'log' }, title: 'Keystone tokens per day (log)', axis: { labelExpr: TOKENS_LABEL } },
          color: { field: 'series', type: 'nominal', title: null, scale: { domain, range }, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 1000 } },
        },
      },
      {
        data: { values: refs },
        mark: { type: 'rule', strokeDash: [4, 4], opacity: 0.7 },
        encoding: { y: { field: 'tokens', type: 'quantitative' }, color: { field: 'series', type: 'nominal', scale: { domain, range } } },
      },
      {
        data: { values: refs },
        mark: { type: 'text', align: 'left', dx: 4, dy: -6, fontSize: 10 },
        encoding: {
          x: { datum: 1, type: 'quantitative' }, y: { field: 'tokens', type: 'quantitative' }, text: { field: 'label' },
          color: { field: 'series', type: 'nominal', scale: { domain, range } },
        },
      },
    ],
  } as TopLevelSpec;
  return {
    name: 'episodes',
    title: 'Tokens/day against mean episode duration',
    caption: 'Alarms notify at every evaluation while in the alarm state (repeat_actions). Lines: the episodes model at each mean ' +
      'duration; dashed: independent draws at every evaluation (random) and the same alarms for ever (sticky). The firing share is the same everywhere.',
    spec,
  };
}
