import { fromGrid } from './grid.js';
import type { AggregatePlan, MeasureBounds, Mechanism, QueryPlan } from './types.js';
import { discreteGaussianHalfWidth } from './discrete-gaussian.js';
import { binWidth, quantileGrid } from './quantile.js';

/**
 * Accuracy of released values: the half-width of a confidence interval
 * around each noisy number, and the inverse, the epsilon a target accuracy
 * needs. Everything here is a function of the plan (scales, bounds) and of
 * already noisy values, so it is post-processing and costs no budget.
 * Floats are fine here: an interval a little wide or narrow leaks nothing.
 */

/** The confidence every released interval is stated at. */
export const DEFAULT_CONFIDENCE = 0.95;

/**
 * Two-sided tail of the discrete Laplace distribution of scale b:
 * P(|Z| > h) = 2 p^(h+1) / (1 + p) for integers h >= 0, p = exp(-1/b)
 * (docs/privacy.md, section 2, summed over both signs).
 */
export function laplaceTailAbove(scale: number, h: number): number {
  const p = Math.exp(-1 / scale);
  return (2 * Math.pow(p, h + 1)) / (1 + p);
}

/**
 * Smallest integer h >= 0 with P(|Z| > h) <= 1 - confidence for Z discrete
 * Laplace of scale b (in the mechanism's integer units): the noisy value lies
 * within +-h of the true one with at least that confidence.
 */
export function laplaceHalfWidth(scale: number, confidence: number): number {
  checkConfidence(confidence);
  if (!(scale > 0)) throw new RangeError('a noise scale must be positive');
  const alpha = 1 - confidence;
  const p = Math.exp(-1 / scale);
  let h = Math.max(0, Math.ceil(Math.log((alpha * (1 + p)) / 2) / Math.log(p)) - 1);
  while (laplaceTailAbove(scale, h) > alpha) h++;
  while (h > 0 && laplaceTailAbove(scale, h - 1) <= alpha) h--;
  return h;
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError('confidence must lie in (0, 1)');
}

function mechanismOf(plan: QueryPlan, id: string): Mechanism {
  const mech = plan.mechanisms.find((m) => m.id === id);
  if (mech === undefined) throw new TypeError(`the plan has no mechanism ${id}`);
  return mech;
}

/** Half-width of one mechanism's noise in its integer units, for either noise distribution. */
function noiseHalfWidth(mech: Mechanism, confidence: number): number {
  return mech.distribution === 'discrete_gaussian'
    ? discreteGaussianHalfWidth(mech.sigma2!, confidence)
    : laplaceHalfWidth(mech.scaleValue, confidence);
}

/** Half-width in the answer's units of one mechanism's noise (grid steps times g for sums). */
function unitsHalfWidth(mech: Mechanism, confidence: number, bounds?: MeasureBounds): number {
  const h = noiseHalfWidth(mech, confidence);
  return mech.quantity === 'sum_grid' ? fromGrid(BigInt(h), bounds!.granularity) : h;
}

/**
 * The half-width of one aggregate at `confidence`, the same for every cell:
 * - count, count_units, sum: the half-width of its mechanism's noise;
 * - avg: the numerator A of its per-cell half-width A / max(1, c), c the
 *   cell's noisy non-NULL count (see avgHalfWidth).
 */
export function aggregateHalfWidth(
  plan: QueryPlan,
  agg: AggregatePlan,
  confidence = DEFAULT_CONFIDENCE,
): number {
  const value = mechanismOf(plan, agg.value);
  if (value.quantity === 'quantile') return quantileHalfWidth(agg.bounds!);
  if (agg.fn !== 'avg') return unitsHalfWidth(value, confidence, agg.bounds);
  const bounds = agg.bounds!;
  const each = 1 - (1 - confidence) / 2;
  const sumH = unitsHalfWidth(value, each, bounds);
  const countH = noiseHalfWidth(mechanismOf(plan, agg.count!), each);
  return sumH + Math.max(Math.abs(bounds.lower), Math.abs(bounds.upper)) * countH;
}

/**
 * A quantile's stated half-width: half a bin of its grid, the resolution of
 * the released midpoint. It is not a confidence bound on the rank error;
 * docs/privacy.md (section 10) gives that bound, which depends on the
 * group's count.
 */
export function quantileHalfWidth(bounds: MeasureBounds): number {
  return binWidth(quantileGrid(bounds), bounds) / 2;
}

/**
 * Conservative half-width of one released average. With S and n the true
 * grid sum and non-NULL count, Z_s and Z_c their noise and mu = S/n in
 * [lower, upper], the released (S + Z_s)/(n + Z_c) minus mu equals
 * (Z_s - mu Z_c) / (n + Z_c), and n + Z_c is the noisy count c. Each noise
 * is within its half-width at confidence 1 - alpha/2 with that probability,
 * so by the union bound |error| <= (h_s + max|bound| h_c) / c = A / c with
 * probability >= 1 - alpha. The released value is clamped to the bounds,
 * which only moves it towards mu, so the width never exceeds upper - lower;
 * below c = 1 that trivial width is all that is claimed.
 */
export function avgHalfWidth(numerator: number, noisyCount: number, bounds: MeasureBounds): number {
  const trivial = bounds.upper - bounds.lower;
  if (!(noisyCount >= 1)) return trivial;
  return Math.min(trivial, numerator / noisyCount);
}
