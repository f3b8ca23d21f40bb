import { discreteGaussianLogTailBound } from './discrete-gaussian.js';
import type { Rational } from './types.js';
import { smallestFitting } from './integer-search.js';

/**
 * The release threshold of partition selection when the distinct-unit
 * count carries discrete Gaussian noise N_Z(0, σ²_sel).
 *
 * Arguments: σ²_sel, the policy's δ, m (groups one unit can touch) and k.
 *
 * Privacy claim: the argument of threshold.ts is unchanged but for the
 * tail. Adding one unit lifts at most m groups from k - 1 to k units; such
 * a group is released with probability P(Z >= t), tau = k + t. Choosing t
 * as the smallest integer >= 1 whose conservative tail bound
 * (discreteGaussianLogTailBound) is <= δ/m bounds the chance that any of
 * them is released by δ (union bound). t = 0 never qualifies:
 * P(Z >= 0) > 1/2 > δ/m.
 *
 * Citation: Wilson et al., "Differentially Private SQL with Bounded User
 * Contribution", PoPETs 2020 (thresholded partition selection); CKS 2020
 * for the discrete Gaussian.
 */

/** Margin on the log comparison, so float error can only raise tau. */
const LOG_SLACK = 1e-9;

/** t: the smallest integer >= 1 with the tail bound at t <= δ/m. */
export function gaussianThresholdOffset(
  sigma2: Rational | number,
  delta: number,
  m: number,
): number {
  if (!(delta > 0 && delta < 1)) throw new RangeError('delta must lie in (0, 1)');
  if (!Number.isInteger(m) || m < 1) throw new RangeError('m must be a positive integer');
  const target = Math.log(delta / m) - LOG_SLACK;
  return smallestFitting(1, (t) => discreteGaussianLogTailBound(t, sigma2) <= target);
}

/** tau = k + t for Gaussian selection noise. */
export function gaussianReleaseThreshold(input: {
  sigma2: Rational | number;
  delta: number;
  m: number;
  k: number;
}): number {
  if (!Number.isInteger(input.k) || input.k < 1)
    throw new RangeError('k must be a positive integer');
  return input.k + gaussianThresholdOffset(input.sigma2, input.delta, input.m);
}
