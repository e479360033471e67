// Keystone cores per cache topology (average, evaluation tick, notifier restart) for the post's scenario and its
// worst case, beside the cores Keystone has (the measured capacity's).
import type { TopLevelSpec } from 'vega-lite';
import type { CoresRow } from '../keystone-cores.ts';
import { CONFIG, SCHEMA_URL, type Chart } from './theme.ts';

export function keystoneCoresChart(rows: CoresRow[], available: number | null, subtitle: string): Chart {
  const WHAT = ['average', 'tick (drained in 10 s)', 'restart (first tick, 10 s)'];
  const order = rows.map((r) => `${r.scenario}: ${r.cache}`);
  const values = rows.flatMap((r) => [
    { row: `${r.scenario}: ${r.cache}`, what: WHAT[0], cores: r.average },
    { row: `${r.scenario}: ${r.cache}`, what: WHAT[1], cores: r.peak },
    { row: `${r.scenario}: ${r.cache}`, what: WHAT[2], cores: r.coldStart },
  ]);
  // a log axis from a power of ten below the smallest figure: bars start there, not at 0
  const all = [...values.map((v) => v.cores), ...(available !== null ? [available] : [])].filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const x = { field: 'cores', type: 'quantitative' as const, scale: { type: 'log' as const, domain: [lo, hi] }, title: 'Keystone cores (log scale)' };
  const layer: any[] = [{
    data: { values: values.map((v) => ({ ...v, lo, cores: Math.max(v.cores, lo) })) },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'row', type: 'nominal', title: null, sort: order },
      yOffset: { field: 'what', type: 'nominal', sort: WHAT },
      x, x2: { field: 'lo' },
      color: { field: 'what', type: 'nominal', title: null, sort: WHAT },
    },
  }];
  if (available !== null) {
    layer.push({ data: { values: [{ cores: available }] }, mark: { type: 'rule', color: '#c00', strokeDash: [4, 3], strokeWidth: 2 }, encoding: { x } });
  }
  const spec: TopLevelSpec = {
    $schema: SCHEMA_URL,
    title: { text: 'Keystone cores per cache design', subtitle },
    config: CONFIG,
    width: 520,
    height: { step: 18 },
    layer,
  } as TopLevelSpec;
  return {
    name: 'keystone-cores', title: 'Keystone cores per cache design',
    caption: 'Cores Keystone spends on the notifier\'s tokens and their validations: on average, to drain one evaluation tick\'s tokens in 10 s, and to drain the first tick after a notifier restart in 10 s. ' +
      'Post: 1 M alarms, 1 % firing every 60 s, 10,000 trusts, 4 workers; worst case: every alarm repeats its action. ' +
      (available !== null ? `The dashed line is what one Keystone host delivered at saturation (${available.toFixed(2)} cores' worth of token work).` : ''),
    spec,
  };
}
