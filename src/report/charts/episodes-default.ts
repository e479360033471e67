// The episodes chart (./episodes.ts) for the report: tokens/day per cache topology against how long alarms stay
// in the alarm state, for `npm run plan`'s default deployment, with the results' designs in the legend.
import { cacheOf } from '../../model/results-model.ts';
import { episodeSweep } from '../../model/episode-sweep.ts';
import { DEFAULT_SCENARIO, PRESETS } from '../../model/planner.ts';
import { scenarioParams } from '../../model/scenarios.ts';
import type { Results } from '../../results/schema.ts';
import { formatCount } from '../format.ts';
import { episodesChart } from './episodes.ts';
import type { Chart } from './theme.ts';

export function defaultEpisodesChart(r: Results): Chart | undefined {
  const measured = r.designs.filter((d) => d.samples.length > 0);
  if (!measured.length) return undefined;
  const d = PRESETS[DEFAULT_SCENARIO];
  const p = scenarioParams({ scenario: d.scenario, alarms: d.alarms, trustShare: d.trustShare, trusts: d.trusts },
    { firingFraction: d.firingFraction, evaluationIntervalS: d.evaluationIntervalS, tokenLifetimeS: d.tokenLifetimeS, refreshMarginS: d.refreshMarginS });
  const workers = d.hosts * d.workersPerHost;
  const sweep = episodeSweep({
    trusts: p.trusts, alarmsPerTrust: p.alarms / p.trusts, fraction: d.firingFraction, intervalS: d.evaluationIntervalS,
    usablePeriodS: d.tokenLifetimeS - d.refreshMarginS, workers, eviction: d.eviction,
  });
  const of = (t: 'per-worker' | 'shared') => measured.filter((x) => cacheOf(x) === t).map((x) => x.id);
  return episodesChart(sweep, {
    subtitle: `${DEFAULT_SCENARIO}: ${formatCount(p.trusts)} trusts, ${Number((d.firingFraction * 100).toPrecision(3))} % firing every ${d.evaluationIntervalS} s, ${workers} workers (npm run plan's default)`,
    designs: { 'per-worker': of('per-worker'), shared: of('shared') },
  });
}
