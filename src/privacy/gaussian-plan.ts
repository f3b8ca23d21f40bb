import { floorSqrt, isqrt } from './discrete-gaussian.js';
import { divide, multiply, rational, toNumber, toRational } from './rational.js';
import type { Mechanism, Quantity, Rational } from './types.js';
import { rhoFor, zcdpDelta } from './zcdp.js';

/**
 * Calibration of the discrete Gaussian mechanisms of a query.
 *
 * Arguments: the query's ε, the policy's δ, the number n of mechanisms and,
 * per mechanism, its quantity and L1 sensitivity (m rows per unit).
 *
 * Budget: the query gets the largest ρ with δ(ρ, ε) <= δ (zcdp.ts), split
 * equally: ρ_i = ρ / n. Mechanism i adds N_Z(0, σ_i²) with
 * σ_i² = Δ₂,i² / (2ρ_i), which is ρ_i-zCDP (CKS 2020, Theorem 14); the n
 * mechanisms together are Σρ_i = ρ-zCDP (Bun and Steinke 2016, Lemma 2.3),
 * hence (ε, δ)-DP.
 *
 * L2 sensitivities, with at most m rows per unit in the whole query:
 * - distinct units: u counts once in each of at most m groups, so the
 *   change vector has at most m entries equal to 1: Δ₂² = m (Δ₂ = √m);
 * - rows, non-NULL count: u's m rows may all lie in one group, so one entry
 *   can change by m: Δ₂² = m²;
 * - grid sum: the change in group g is the sum of u's values there,
 *   |c_g| <= B per row (B = ceil(max(|lower|, |upper|) / g) grid steps) and
 *   Σ_g |c_g| <= mB, so ‖c‖₂ <= ‖c‖₁ <= mB: Δ₂² = (mB)², reached when all m
 *   rows are in one group.
 *
 * Citation: Canonne, Kamath, Steinke, NeurIPS 2020; Bun, Steinke, TCC 2016.
 */

/** Squared L2 sensitivity of a quantity whose L1 sensitivity is `l1` (see above). */
export function l2SensitivitySquared(quantity: Quantity, l1: bigint, m: bigint): bigint {
  return quantity === 'units' ? m : l1 * l1;
}

/** The query's ρ, each mechanism's equal share, and the δ the conversion costs. */
export interface GaussianBudget {
  rho: Rational;
  share: Rational;
  deltaConversion: number;
}

/** ρ for (ε, δ), split over n mechanisms. */
export function gaussianBudget(epsilon: number, delta: number, n: number): GaussianBudget {
  const rho = rhoFor(toNumber(toRational(epsilon, 'down')), delta);
  const share = divide(rho, rational(BigInt(n)));
  return { rho, share, deltaConversion: zcdpDelta(rho, epsilon) };
}

/** Decimal places of the displayed σ: it is rounded up to a multiple of 10^-9. */
const SIGMA_DENOMINATOR = 10n ** 9n;

/** σ rounded up to a multiple of 10^-9, for the answer's noise field. */
export function sigmaUp(sigma2: Rational): Rational {
  const scaled = (sigma2.num * SIGMA_DENOMINATOR * SIGMA_DENOMINATOR) / sigma2.den;
  let root = isqrt(scaled);
  if (root * root * sigma2.den < sigma2.num * SIGMA_DENOMINATOR * SIGMA_DENOMINATOR) root += 1n;
  return rational(root, SIGMA_DENOMINATOR);
}

/** One discrete Gaussian mechanism with ρ share `rhoShare` and nominal ε share `epsilonShare`. */
export function calibrateGaussian(
  need: { id: string; quantity: Quantity; measure?: string; sensitivity: bigint },
  m: bigint,
  rhoShare: Rational,
  epsilonShare: Rational,
): Mechanism {
  const l2 = l2SensitivitySquared(need.quantity, need.sensitivity, m);
  const sigma2 = divide(rational(l2), multiply(rational(2n), rhoShare));
  if (floorSqrt(sigma2) > 10n ** 15n) throw new RangeError('the Gaussian noise would be too large');
  const scale = sigmaUp(sigma2);
  return {
    ...need,
    epsilon: toNumber(epsilonShare),
    epsilonExact: epsilonShare,
    scale,
    scaleValue: toNumber(scale),
    distribution: 'discrete_gaussian',
    sigma2,
    l2SensitivitySquared: l2,
    rho: rhoShare,
  };
}
