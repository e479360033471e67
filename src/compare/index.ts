// What the bench and the compare CLI use: compute a comparison, then render it.
export { compareResults, regressions } from './compare.ts';
export type { ComparisonRow } from './compare.ts';
export { renderComparison } from './render.ts';
