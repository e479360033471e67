// Ordinary least squares of y over x: the per-object cost is the slope of bytes over the number of objects,
// which cancels the process's fixed footprint (the intercept) that a single N=max minus N=0 difference keeps.

export interface Fit {
  slope: number;
  intercept: number;
  /** coefficient of determination; 1 when the points lie on the line, NaN when y does not vary */
  r2: number;
  n: number;
}

export function leastSquares(xs: readonly number[], ys: readonly number[]): Fit {
  if (xs.length !== ys.length) throw new Error('x and y differ in length');
  const n = xs.length;
  if (n < 2) return { slope: NaN, intercept: NaN, r2: NaN, n };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return { slope: NaN, intercept: NaN, r2: NaN, n };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy === 0 ? NaN : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2, n };
}
