import { divide, rational, toNumber, toRational } from './rational.js';
import type { Rational } from './types.js';

/**
 * The release threshold of partition selection. A group's distinct-unit
 * count gets discrete Laplace noise of scale b = m / epsilonSel; the group
 * is released iff its true count is >= k and the noisy count is >= tau.
 *
 * Adding one unit can lift at most m groups from k - 1 to k units; such a
 * group is released with probability P(k + Z >= tau) = P(Z >= t), where
 * tau = k + t. Choosing t as the smallest integer >= 0 with
 * P(Z >= t) = p^t / (1 + p) <= delta / m, p = exp(-1/b), bounds that by
 * delta over the m groups (union bound). See docs/privacy.md.
 */

/**
 * Slack on the float computation of t: when b (ln(m/delta) - ln(1+p)) lies
 * within this relative distance below an integer, t is taken one higher,
 * so float error can only raise tau.
 */
const FLOAT_SLACK = 1e-9;

/** The parameters tau depends on; nothing about the data. */
export interface ThresholdInput {
  /** Epsilon of the selection mechanism; a number is rounded down to a rational first. */
  epsilonSel: number | Rational;
  /** Total chance, over the groups one unit touches, of releasing a group of fewer than k units. */
  delta: number;
  /** Groups one unit can touch (its maximum number of rows). */
  m: number;
  k: number;
}

/** The scale of the selection noise, b = m / epsilonSel, exactly as the sampler uses it. */
export function selectionScale(epsilonSel: number | Rational, m: number): Rational {
  const eps = typeof epsilonSel === 'number' ? toRational(epsilonSel, 'down') : epsilonSel;
  if (eps.num <= 0n) throw new RangeError('epsilonSel must be positive');
  return divide(rational(BigInt(m)), eps);
}

/** t: the smallest integer >= 0 with p^t / (1 + p) <= delta / m, computed in log space. */
export function thresholdOffset(scale: Rational, delta: number, m: number): number {
  const b = toNumber(scale);
  const p = Math.exp(-1 / b);
  const x = b * (Math.log(m / delta) - Math.log1p(p));
  return Math.max(0, Math.ceil(x + FLOAT_SLACK * Math.max(1, Math.abs(x))));
}

/** tau = k + t: noisy distinct-unit count a group needs to be released. */
export function releaseThreshold(input: ThresholdInput): number {
  const { delta, m, k } = input;
  if (!(delta > 0 && delta < 1)) throw new RangeError('delta must lie in (0, 1)');
  if (!Number.isInteger(m) || m < 1) throw new RangeError('m must be a positive integer');
  if (!Number.isInteger(k) || k < 1) throw new RangeError('k must be a positive integer');
  return k + thresholdOffset(selectionScale(input.epsilonSel, m), delta, m);
}
