// What the bench and the compare CLI use: compute a comparison, then render it.
export { compareResults, regressions, verdictCounts } from './compare.ts';
export type { CompareOptions, Comparison, ComparisonRow, Figure, Verdict } from './compare.ts';
export { renderComparison } from './render.ts';
export type { ComparisonFormat } from './render.ts';
