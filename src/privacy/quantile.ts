import { sampleBernoulliExp } from './discrete-laplace.js';
import { gridDecimals } from './grid.js';
import { divide, multiply, rational } from './rational.js';
import type { RandomSource } from './random.js';
import type { MeasureBounds, Rational } from './types.js';

/**
 * Private quantiles of a measure by the exponential mechanism (McSherry and
 * Talwar 2007) over a fixed grid of bins, as Smith (2011) does for medians.
 *
 * Arguments: the per-group histogram of clamped values over the bins of
 * `quantileGrid` (counts h_0..h_{B-1}, n = Σ h), the quantile q = a/d, the
 * mechanism's ε share and m (rows one unit may contribute to the query).
 *
 * Utility of bin i, with L_i = h_0 + ... + h_{i-1} the values below it:
 *   u(i) = -max(0, d L_i - a n, a n - d L_{i+1}),
 * 0 exactly when the q-th rank falls in bin i. Removing a unit removes c
 * values of the group (Σ over groups of c <= m); each of d L_i - a n and
 * a n - d L_{i+1} then moves by at most c max(a, d - a), so Δ_u = m max(a,
 * d - a) bounds every group's change. Bin i is drawn with probability
 * ∝ exp(ε u(i) / (2 Δ_u)); group g's output changes by a factor at most
 * exp(ε c_g / m), and the groups together by exp(ε).
 *
 * Sampling is exact: draw i uniformly and accept with probability
 * exp(ε u(i) / (2 Δ_u)) (a Bernoulli(exp(-γ)) for an exact rational γ,
 * CKS 2020 Algorithm 1), else retry. Accepted draws have exactly the
 * mechanism's distribution; no float touches the choice.
 */

/** A quantile as an exact fraction a/d of the values. */
export interface QuantileLevel {
  num: bigint;
  den: bigint;
}

/** The quantile each aggregate function releases. */
export const quantileLevels = {
  median: { num: 1n, den: 2n },
  p90: { num: 9n, den: 10n },
} as const satisfies Record<string, QuantileLevel>;

/** Upper limit on the number of bins: more bins cost accuracy at small epsilon (ln B term). */
export const MAX_QUANTILE_BINS = 100;

/** The bins of a measure: B bins of W grid steps each, starting at lower. */
export interface QuantileGrid {
  bins: number;
  stepsPerBin: number;
}

/**
 * The grid of a measure: bins of a whole number W of granularity steps,
 * W = ceil(steps / 100), so there are at most 100 bins and every bin edge
 * lies on the measure's grid. The last bin may reach past upper; clamped
 * values never do.
 */
export function quantileGrid(bounds: MeasureBounds): QuantileGrid {
  const { lower, upper, granularity } = bounds;
  if (!(lower < upper) || !(granularity > 0)) {
    throw new RangeError('measure bounds need lower < upper and a positive granularity');
  }
  const steps = Math.max(1, Math.round((upper - lower) / granularity));
  const stepsPerBin = Math.ceil(steps / MAX_QUANTILE_BINS);
  return { bins: Math.ceil(steps / stepsPerBin), stepsPerBin };
}

/** Sensitivity of the utility: m max(a, d - a) (see above). */
export function quantileSensitivity(level: QuantileLevel, m: bigint): bigint {
  const a = level.num;
  const rest = level.den - a;
  return m * (a > rest ? a : rest);
}

/** The utility of every bin: -max(0, d L_i - a n, a n - d L_{i+1}), all integers <= 0. */
export function quantileUtilities(histogram: readonly bigint[], level: QuantileLevel): bigint[] {
  const n = histogram.reduce((s, h) => s + h, 0n);
  const target = level.num * n;
  const out: bigint[] = [];
  let below = 0n;
  for (const h of histogram) {
    const above = below + h;
    const over = level.den * below - target;
    const under = target - level.den * above;
    out.push(-[0n, over, under].reduce((a, b) => (b > a ? b : a)));
    below = above;
  }
  return out;
}

/**
 * Draws one bin by the exponential mechanism with ε = `epsilon` and utility
 * sensitivity `sensitivity`, by exact rejection sampling (see above).
 */
export function sampleQuantileBin(
  histogram: readonly bigint[],
  level: QuantileLevel,
  epsilon: Rational,
  sensitivity: bigint,
  random: RandomSource,
): number {
  if (histogram.length === 0) throw new RangeError('a quantile needs at least one bin');
  const utilities = quantileUtilities(histogram, level);
  const perUnit = divide(epsilon, rational(2n * sensitivity));
  const bins = BigInt(histogram.length);
  for (;;) {
    const i = Number(random.uniformBelow(bins));
    const gamma = multiply(perUnit, rational(-utilities[i]!));
    if (sampleBernoulliExp(gamma, random)) return i;
  }
}

/**
 * The released value of bin i: the grid point at the bin's middle,
 * lower + (i W + floor(W / 2)) g, capped at upper, printed with the
 * decimals of lower and g only. A function of i alone: post-processing.
 */
export function binValue(bin: number, grid: QuantileGrid, bounds: MeasureBounds): number {
  const { lower, upper, granularity } = bounds;
  const steps = bin * grid.stepsPerBin + Math.floor(grid.stepsPerBin / 2);
  const decimals = Math.max(gridDecimals(granularity), decimalsOf(lower));
  return Math.min(upper, Number((lower + steps * granularity).toFixed(decimals)));
}

/** Width of one bin in the measure's units, with the granularity's decimals. */
export function binWidth(grid: QuantileGrid, bounds: MeasureBounds): number {
  const { granularity } = bounds;
  return Number((grid.stepsPerBin * granularity).toFixed(gridDecimals(granularity)));
}

/** Decimals of a bound as JS prints it (same rule as the granularity's). */
function decimalsOf(x: number): number {
  return gridDecimals(Math.abs(x));
}
