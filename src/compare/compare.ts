// Compares two results files figure by figure: for each design and per-object metric in both, the relative change
// of the mean per-trial slope with its 95 % CI, a test on the trial slopes, and a verdict. Pure: no I/O, so the
// bench can call it at the end of a run and the CLI after reading two files.
//
// Verdict (criterion's rule): a change is `worse`/`better` only when it is significant (p < alpha) AND its whole
// 95 % CI lies beyond the noise threshold; otherwise `no significant change`. Lower bytes are better for every
// metric, whatever it is called: metrics are matched by their key in perObject, never by a fixed list.
import type { DesignResult, Results, Slope } from '../results/schema.ts';
import { isResolved } from '../analysis/headline.ts';
import { comparePlans, type PlanComparison } from './plan-diff.ts';
import { bootstrapMeanDifference } from './bootstrap-diff.ts';
import { environmentDifferences, runSummary, type EnvironmentDifference, type RunSummary } from './environment.ts';
import type { MeanDifference } from './mean-difference.ts';
import { welchTest } from './welch.ts';

/** 'not resolved': a side's figure is not resolved (its CI includes 0): there is no number to compare. */
export type Verdict = 'better' | 'worse' | 'no significant change' | 'not resolved';
export type Presence = 'both' | 'old only' | 'new only';

export interface CompareOptions {
  /** noise threshold, percent: significant changes whose CI reaches inside ±threshold are "no change" (default 1) */
  thresholdPct?: number;
  /** significance level of the test (default 0.05) */
  alpha?: number;
  /** names of the two runs in the output, e.g. their file paths */
  oldLabel?: string;
  newLabel?: string;
}

export interface Figure {
  /** bytes per object, or a count per object for count metrics (fds, sockets) */
  bytes: number;
  /** false: the figure is not resolved (its CI includes 0); the number is not a measurement */
  resolved: boolean;
  ci95: [number, number];
  r2: number;
  /** number of finite per-trial slopes */
  trials: number;
}

export interface ComparisonRow {
  design: string;
  /** perObject key; null for a design with no per-object figure at all */
  metric: string | null;
  presence: Presence;
  old?: Figure;
  new?: Figure;
  /** (new − old) / |old| in percent, with its 95 % CI; undefined when old is 0 or not finite */
  changePct?: number;
  changeCi95Pct?: [number, number];
  test?: { method: MeanDifference['method']; p: number; t?: number; df?: number };
  verdict?: Verdict;
  note?: string;
}

export interface Comparison {
  old: RunSummary;
  new: RunSummary;
  thresholdPct: number;
  alpha: number;
  differences: EnvironmentDifference[];
  /** e.g. a design that was "ok" and is now "partial" */
  designNotes: string[];
  rows: ComparisonRow[];
  /** the planner's answer for the default scenario in each run: tokens/day per design and the recommendation */
  plan: PlanComparison;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A count that never moved in any trial is exactly 0, not an unresolved figure. */
const flatZero = (s: Slope) => s.bytes === 0 && s.ci95[0] === 0 && s.ci95[1] === 0 && trialSlopesOf(s).every((x) => x === 0);

function figureOf(s: Slope): Figure {
  return { bytes: s.bytes, resolved: isResolved(s) || flatZero(s), ci95: [s.ci95[0], s.ci95[1]], r2: s.r2, trials: trialSlopesOf(s).length };
}

function trialSlopesOf(s: Slope): number[] {
  return Array.isArray(s.trialSlopes) ? s.trialSlopes.filter(finite) : [];
}

/** Keys of perObject that hold a figure, in the file's order. */
function metricsOf(d: DesignResult): string[] {
  return Object.entries(d.perObject as Record<string, Slope | undefined>).filter(([, s]) => s).map(([m]) => m);
}

function slopeOf(d: DesignResult, metric: string): Slope {
  return (d.perObject as Record<string, Slope>)[metric];
}

function testOf(old: Slope, next: Slope): MeanDifference | undefined {
  const o = trialSlopesOf(old);
  const n = trialSlopesOf(next);
  if (o.length >= 2 && n.length >= 2) return welchTest(o, n);
  return bootstrapMeanDifference({ values: o, bytes: old.bytes, ci95: old.ci95 }, { values: n, bytes: next.bytes, ci95: next.ci95 });
}

export function verdictOf(p: number, changeCi: [number, number] | undefined, diff: number, thresholdPct: number, alpha: number): Verdict {
  if (!(p < alpha)) return 'no significant change';
  // without an old figure to divide by there is no percentage to hold against the threshold: significance decides
  if (!changeCi) return diff > 0 ? 'worse' : diff < 0 ? 'better' : 'no significant change';
  if (changeCi[0] > thresholdPct) return 'worse';
  if (changeCi[1] < -thresholdPct) return 'better';
  return 'no significant change';
}

function compareFigure(design: string, metric: string, old: Slope, next: Slope, thresholdPct: number, alpha: number): ComparisonRow {
  const row: ComparisonRow = { design, metric, presence: 'both', old: figureOf(old), new: figureOf(next) };
  if (!row.old!.resolved || !row.new!.resolved) {
    const which = !row.old!.resolved && !row.new!.resolved ? 'either run' : !row.old!.resolved ? 'the old run' : 'the new run';
    return { ...row, verdict: 'not resolved', note: `not resolved in ${which} (its CI includes 0): no number to compare` };
  }
  if (flatZero(old) && flatZero(next)) return { ...row, verdict: 'no significant change', note: 'exactly 0 in both runs' };
  const test = testOf(old, next);
  if (!test) {
    return { ...row, verdict: 'no significant change', note: 'not testable: a side has neither trial slopes nor a confidence interval' };
  }
  row.test = { method: test.method, p: test.p, ...(test.t !== undefined ? { t: test.t, df: test.df } : {}) };
  // the same mean the test used, so the percentage and the test agree
  const oldSlopes = trialSlopesOf(old);
  const base = oldSlopes.length ? oldSlopes.reduce((a, b) => a + b, 0) / oldSlopes.length : old.bytes;
  if (finite(base) && base !== 0) {
    const pct = (x: number) => (x / Math.abs(base)) * 100;
    row.changePct = pct(test.diff);
    row.changeCi95Pct = [pct(test.ci95[0]), pct(test.ci95[1])];
  }
  row.verdict = verdictOf(test.p, row.changeCi95Pct, test.diff, thresholdPct, alpha);
  const notes: string[] = [];
  if (test.method === 'bootstrap') notes.push('bootstrap: a side has fewer than 2 trial slopes');
  if (row.changePct === undefined) notes.push('old figure is 0 or undefined: no relative change');
  else if (test.p < alpha && row.verdict === 'no significant change') notes.push(`its 95 % CI reaches inside the ±${thresholdPct} % noise threshold`);
  if (notes.length) row.note = notes.join('; ');
  return row;
}

function oneSided(d: DesignResult, presence: Exclude<Presence, 'both'>): ComparisonRow[] {
  const side = presence === 'old only' ? 'old' : 'new';
  const metrics = metricsOf(d);
  if (!metrics.length) return [{ design: d.id, metric: null, presence, note: `design only in the ${side} run, status ${d.status}` }];
  return metrics.map((m) => ({ design: d.id, metric: m, presence, [side]: figureOf(slopeOf(d, m)) }));
}

export function compareResults(old: Results, next: Results, opts: CompareOptions = {}): Comparison {
  const thresholdPct = opts.thresholdPct ?? 1;
  const alpha = opts.alpha ?? 0.05;
  const rows: ComparisonRow[] = [];
  const designNotes: string[] = [];
  const newById = new Map(next.designs.map((d) => [d.id, d]));
  const oldIds = new Set(old.designs.map((d) => d.id));

  for (const od of old.designs) {
    const nd = newById.get(od.id);
    if (!nd) {
      rows.push(...oneSided(od, 'old only'));
      continue;
    }
    if (od.status !== nd.status) designNotes.push(`${od.id}: status ${od.status} → ${nd.status}`);
    const oldMetrics = metricsOf(od);
    const newMetrics = metricsOf(nd);
    const metrics = [...oldMetrics, ...newMetrics.filter((m) => !oldMetrics.includes(m))];
    for (const m of metrics) {
      const os = oldMetrics.includes(m) ? slopeOf(od, m) : undefined;
      const ns = newMetrics.includes(m) ? slopeOf(nd, m) : undefined;
      if (os && ns) rows.push(compareFigure(od.id, m, os, ns, thresholdPct, alpha));
      else if (os) rows.push({ design: od.id, metric: m, presence: 'old only', old: figureOf(os) });
      else if (ns) rows.push({ design: od.id, metric: m, presence: 'new only', new: figureOf(ns) });
    }
    if (!metrics.length) rows.push({ design: od.id, metric: null, presence: 'both', note: `no per-object figure in either run (status ${od.status} → ${nd.status})` });
  }
  for (const nd of next.designs) if (!oldIds.has(nd.id)) rows.push(...oneSided(nd, 'new only'));

  return {
    old: runSummary(old, opts.oldLabel ?? 'old'),
    new: runSummary(next, opts.newLabel ?? 'new'),
    thresholdPct,
    alpha,
    differences: environmentDifferences(old, next),
    designNotes,
    rows,
    plan: comparePlans(old, next),
  };
}

/** Rows that got significantly worse by more than pct percent (a worse row without a percentage counts). */
export function regressions(c: Comparison, pct: number): ComparisonRow[] {
  return c.rows.filter((r) => r.verdict === 'worse' && (r.changePct === undefined || r.changePct > pct));
}

export function verdictCounts(c: Comparison): Record<Verdict, number> {
  const out: Record<Verdict, number> = { better: 0, worse: 0, 'no significant change': 0, 'not resolved': 0 };
  for (const r of c.rows) if (r.verdict) out[r.verdict]++;
  return out;
}
