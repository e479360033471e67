// Keystone cores per cache topology for the post's scenario and its worst case (every alarm repeats its action):
// average, evaluation tick and notifier restart, beside what Keystone has (src/model/keystone.ts). Shared by the
// keystone-load report and the bench report's "What tokens cost Keystone" section.
import { availableCores, keystoneLoad, type KeystoneCosts } from '../model/keystone.ts';
import { PRESETS } from '../model/planner.ts';
import { modelNamedScenario } from '../model/scenarios.ts';

export interface CoresRow {
  scenario: 'post' | 'worst case';
  cache: 'no cache' | 'per-worker cache' | 'shared cache';
  average: number;
  peak: number;
  coldStart: number;
  utilization: number | null;
  overloaded: boolean;
}

export const TICK_WINDOW_S = 10;

export function coresRows(c: KeystoneCosts): { rows: CoresRow[]; available: number | null } {
  const d = PRESETS.post;
  const cap = { hosts: 1, tickWindowS: TICK_WINDOW_S };
  const rows: CoresRow[] = [];
  for (const scenario of ['post', 'worst case'] as const) {
    for (const [design, cache] of [['none', 'no cache'], ['per-worker', 'per-worker cache'], ['shared', 'shared cache']] as const) {
      const m = modelNamedScenario({ scenario: 'post', alarms: d.alarms, trustShare: 1, trusts: d.trusts }, {
        design, workers: d.workersPerHost, firingFraction: d.firingFraction, evaluationIntervalS: d.evaluationIntervalS,
        tokenLifetimeS: d.tokenLifetimeS, refreshMarginS: d.refreshMarginS, tokenModel: 'renewal', repeatActions: scenario === 'post' ? 'post' : 'worst',
      });
      const perTick = m.notificationsPerDay * d.evaluationIntervalS / 86_400;
      const k = keystoneLoad({ tokensPerDay: m.tokensPerDay, validationsPerDay: m.validationsPerDay, design, notificationsPerTick: perTick,
        evaluationIntervalS: d.evaluationIntervalS, workers: d.workersPerHost, trusts: m.activeTrusts }, c, cap);
      rows.push({ scenario, cache, ...k.keystoneCores, utilization: k.utilization, overloaded: k.overloaded });
    }
  }
  return { rows, available: availableCores(c, cap) };
}
