import { discreteLaplacePmf } from '../../src/privacy/discrete-laplace.js';
import { toNumber } from '../../src/privacy/rational.js';
import type { Mechanism } from '../../src/privacy/types.js';
import { moments, Z_1E6 } from './stats.js';

/**
 * Checks of noise measured from releases against the plan that drew it, so
 * a test can hold what a mechanism really added to what was charged for it.
 */

/** E[Z^4] of discrete Laplace noise of the mechanism's scale b, summed far into the tail. */
export function laplaceFourthMoment(mech: Mechanism): number {
  const b = toNumber(mech.scale);
  let sum = 0;
  for (let x = 1; x <= Math.ceil(60 * b) + 60; x++) sum += 2 * x ** 4 * discreteLaplacePmf(x, b);
  return sum;
}

type Check = { ok(value: boolean, message: string): void };

/**
 * Checks a sample's mean (0) and variance (`expected`, with the standard error
 * from the fourth moment) at a 1e-6 false-failure rate each; returns the
 * sample variance.
 */
export function checkVariance(
  t: Check,
  label: string,
  sample: number[],
  expected: number,
  fourth: number,
): number {
  const { mean, variance } = moments(sample);
  const se = Math.sqrt((fourth - expected ** 2) / sample.length);
  t.ok(Math.abs(mean) < Z_1E6 * Math.sqrt(expected / sample.length), `${label}: mean ${mean}`);
  t.ok(
    Math.abs(variance - expected) < Z_1E6 * se,
    `${label}: variance ${variance.toPrecision(6)} vs planned ${expected.toPrecision(6)}`,
  );
  return variance;
}
