// The planner's answer in two runs, side by side: for the default scenario at its preset deployment, tokens/day
// and memory per worker of each design and the recommendation, so a change of code or figures that changes the
// decision is said, not only a change of bytes.
import { DEFAULT_SCENARIO, PRESETS, plan, type Plan } from '../model/planner.ts';
import type { Results } from '../results/schema.ts';

export interface PlanSide {
  recommendation: string | null;
  rows: Array<{ id: string; tokensPerDay: number; memoryPerWorker: number | null; fits: boolean | null }>;
}

export interface PlanComparison {
  scenario: string;
  old: PlanSide | null;
  new: PlanSide | null;
  /** the recommendation changed */
  changed: boolean;
  /** why a side has no plan (e.g. no designs) */
  note?: string;
}

function side(r: Results): PlanSide | string {
  if (r.designs.length === 0) return 'no designs';
  let p: Plan;
  try {
    p = plan(r, PRESETS[DEFAULT_SCENARIO]);
  } catch (err) {
    if (err instanceof RangeError) return err.message;
    throw err;
  }
  return {
    recommendation: p.recommendation?.id ?? null,
    rows: p.rows.map((x) => ({ id: x.id, tokensPerDay: x.tokensPerDay, memoryPerWorker: x.memoryPerWorker, fits: x.fits })),
  };
}

export function comparePlans(old: Results, next: Results): PlanComparison {
  const o = side(old);
  const n = side(next);
  const notes = [typeof o === 'string' ? `old: ${o}` : '', typeof n === 'string' ? `new: ${n}` : ''].filter(Boolean);
  const oldSide = typeof o === 'string' ? null : o;
  const newSide = typeof n === 'string' ? null : n;
  return {
    scenario: DEFAULT_SCENARIO, old: oldSide, new: newSide,
    changed: !!oldSide && !!newSide && oldSide.recommendation !== newSide.recommendation,
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}
