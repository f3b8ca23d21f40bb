import { createHash } from 'node:crypto';
import { aggregateHalfWidth } from '../privacy/accuracy.js';
import { planQuery } from '../privacy/mechanisms.js';
import type { LoadedPolicy } from './load.js';

/**
 * The data-product fields of the catalogue that are derived rather than
 * written: a stable registration code, a coarse row count and the accuracy a
 * buyer can expect of a count before spending anything.
 */

/** The policy's code, else one derived from the dataset id (stable across versions). */
export function registrationCode(policy: LoadedPolicy): string {
  if (policy.registrationCode) return policy.registrationCode;
  const digest = createHash('sha256').update(policy.dataset, 'utf8').digest('hex');
  return `VEIL-${digest.slice(0, 8).toUpperCase()}`;
}

/**
 * Why a proposed version may not carry its registration code: a product keeps
 * the code of its active version (buyers and contracts cite it), and no two
 * products share one. Empty when the code is fine.
 */
export function registrationProblems(
  proposed: LoadedPolicy,
  active: LoadedPolicy | undefined,
  others: Iterable<LoadedPolicy>,
): string[] {
  const code = registrationCode(proposed);
  const problems: string[] = [];
  if (active !== undefined && registrationCode(active) !== code) {
    problems.push(
      `registrationCode: "${proposed.dataset}" is registered as "${registrationCode(active)}"; ` +
        `a new version may not change it to "${code}"`,
    );
  }
  for (const other of others) {
    if (other.dataset !== proposed.dataset && registrationCode(other) === code) {
      problems.push(`registrationCode: "${code}" is already the code of "${other.dataset}"`);
    }
  }
  return problems;
}

/**
 * The row count as a power-of-ten bucket ("1,000-9,999"): the exact count is
 * a statistic of the data that no policy releases.
 */
export function rowCountBucket(rows: number | undefined): string | null {
  if (rows === undefined) return null;
  if (rows < 10) return '0-9';
  const low = 10 ** Math.floor(Math.log10(rows));
  return `${low.toLocaleString('en-US')}-${(low * 10 - 1).toLocaleString('en-US')}`;
}

/**
 * Noise of a lone COUNT(*) at the default epsilon, with public keys and with a
 * threshold, under the policy's own mechanism: the same plan and half-width
 * an answer would state, so a Gaussian policy is not advertised with Laplace
 * figures. `scale` is b for Laplace and σ for Gaussian noise.
 */
export function countAccuracy(policy: LoadedPolicy) {
  const at = (needsSelection: boolean) => {
    const plan = planQuery({
      aggregates: [{ fn: 'count', alias: 'count' }],
      epsilon: policy.epsilon.default,
      delta: policy.delta,
      k: policy.k,
      maxContributions: policy.contribution.maxContributions,
      needsSelection,
      mechanism: policy.mechanism,
    });
    const agg = plan.aggregates[0]!;
    return {
      mechanism: agg.noise.mechanism,
      scale: agg.noise.scale,
      plusMinus95: aggregateHalfWidth(plan, agg, 0.95),
      releaseThreshold: plan.selection?.tau ?? null,
      delta: plan.deltaCharged,
    };
  };
  return {
    epsilon: policy.epsilon.default,
    publicKeys: at(false),
    thresholded: at(true),
  };
}
