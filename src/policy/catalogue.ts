import { createHash } from 'node:crypto';
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
 * Half-width t of the 95% interval of discrete Laplace noise of scale b:
 * the least t with P(|X| > t) = 2 p^(t+1) / (1 + p) <= 0.05, p = exp(-1/b).
 */
export function discreteLaplace95(scale: number): number {
  const p = Math.exp(-1 / scale);
  const t = Math.ceil(Math.log((0.05 * (1 + p)) / 2) / Math.log(p)) - 1;
  return Math.max(0, t);
}

/** Noise of a lone COUNT(*) at the default epsilon, with public keys and with a threshold. */
export function countAccuracy(policy: LoadedPolicy) {
  const at = (needsSelection: boolean) => {
    const plan = planQuery({
      aggregates: [{ fn: 'count', alias: 'count' }],
      epsilon: policy.epsilon.default,
      delta: policy.delta,
      k: policy.k,
      maxContributions: policy.contribution.maxContributions,
      needsSelection,
    });
    const scale = plan.aggregates[0]!.noise.scale;
    return {
      scale,
      plusMinus95: discreteLaplace95(scale),
      releaseThreshold: plan.selection?.tau ?? null,
    };
  };
  return {
    epsilon: policy.epsilon.default,
    publicKeys: at(false),
    thresholded: at(true),
  };
}
