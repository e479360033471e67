// Keystone cores per cache topology (average, evaluation tick, notifier restart) for the post's scenario and its
// worst case, beside the cores Keystone has (the measured capacity's).
import type { TopLevelSpec } from 'vega-lite';
import type { CoresRow } from '../keystone-cores.ts';
import { CONFIG, SCHEMA_URL, type Chart } from './theme.ts';

export function keystoneCoresChart(rows: CoresRow[], available: number | null, subtitle: string): Chart {
  const values = rows.flatMap((r) => [
    { scenario: r.scenario, cache: r.cache, what: 'average', cores: r.average },
    { scenario: r.scenario, cache: r.cache, what: 'tick (drained in 10 s)', cores: r.peak },
    { scenario: r.scenario, cache: r.cache, what: 'restart (first tick, 10 s)', cores: r.coldStart },
  ]).map((v) => ({ ...v, cores: Math.max(v.cores, 1e-3) }));
  const layer: any[] = [{
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'cache', type: 'nominal', title: null, sort: ['no cache', 'per-worker cache', 'shared cache'] },
      yOffset: { field: 'what', type: 'nominal', sort: ['average', 'tick (drained in 10 s)', 'restart (first tick, 10 s)'] },
      x: { field: 'cores', type: 'quantitative', scale: { type: 'log' }, title: 'Keystone cores (log scale)' },
      color: { field: 'what', type: 'nominal', title: null, sort: ['average', 'tick (drained in 10 s)', 'restart (first tick, 10 s)'] },
    },
  }];
  if (available !== null) {
    layer.push({ data: { values: [{ cores: available }] }, mark: { type: 'rule', color: '#c00', strokeDash: [4, 3] }, encoding: { x: { field: 'cores', type: 'quantitative' } } });
  }
  const spec: TopLevelSpec = {
    $schema: SCHEMA_URL,
    title: { text: 'Keystone cores per cache design', subtitle },
    config: CONFIG,
    data: { values },
    facet: { row: { field: 'scenario', type: 'nominal', title: null, sort: ['post', 'worst case'] } },
    spec: { width: 520, layer },
  } as TopLevelSpec;
  return {
    name: 'keystone-cores', title: 'Keystone cores per cache design',
    caption: 'Cores Keystone spends on the notifier\'s tokens and their validations: on average, to drain one evaluation tick\'s tokens in 10 s, and to drain the first tick after a notifier restart in 10 s. ' +
      'Post: 1 M alarms, 1 % firing every 60 s, 10,000 trusts, 4 workers; worst case: every alarm repeats its action. ' +
      (available !== null ? `The dashed line is what one Keystone host delivered at saturation (${available.toFixed(2)} cores' worth of token work).` : ''),
    spec,
  };
}
