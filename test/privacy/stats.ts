/**
 * Statistics helpers for the privacy tests (not a test file: tap lists it
 * as "no tests found"). Chi-square tail probabilities come from the
 * regularized incomplete gamma function, so each test can state its
 * false-failure rate exactly instead of quoting a table.
 */

/** Two-sided normal quantile for a false-failure rate of 1e-6: P(|N(0,1)| > Z) = 1e-6. */
export const Z_1E6 = 4.891638;

/** ln Γ(x) for x > 0: shift up to x >= 10, then Stirling's series (error below 1e-13). */
export function lnGamma(x: number): number {
  let shift = 0;
  let y = x;
  while (y < 10) {
    shift += Math.log(y);
    y += 1;
  }
  const inv = 1 / y;
  const inv2 = inv * inv;
  const series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)));
  return (y - 0.5) * Math.log(y) - y + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** Regularized lower incomplete gamma P(a, x), by its power series (converges for all x). */
function lowerGamma(a: number, x: number): number {
  if (x <= 0) return 0;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 100000 && term > sum * 1e-17; n++) {
    term *= x / (a + n);
    sum += term;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a + 1)) * sum;
}

/** P(X >= x) for X chi-square with df degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  return Math.max(0, 1 - lowerGamma(df / 2, x / 2));
}

/** The value a chi-square statistic with df degrees of freedom exceeds with probability alpha. */
export function chiSquareCritical(df: number, alpha: number): number {
  let lo = 0;
  let hi = df + 100 * Math.sqrt(df) + 100;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquareSurvival(mid, df) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Pearson's statistic of observed counts against expected counts. */
export function chiSquareStatistic(observed: number[], expected: number[]): number {
  return observed.reduce((acc, o, i) => acc + (o - expected[i]!) ** 2 / expected[i]!, 0);
}

/** Mean and (population) variance of a sample. */
export function moments(values: number[]): { mean: number; variance: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, variance };
}
