import { rational, toNumber } from './rational.js';
import type { Rational } from './types.js';

/**
 * Zero-concentrated DP accounting for the discrete Gaussian mechanisms.
 *
 * Composition: ρ₁-zCDP and ρ₂-zCDP mechanisms run on the same data are
 * (ρ₁ + ρ₂)-zCDP (Bun and Steinke 2016, Lemma 2.3), so a query's ρ is the
 * exact sum of its mechanisms' ρ.
 *
 * Conversion: a ρ-zCDP mechanism is (ε, δ)-DP for every ε >= 0 with
 *   δ(ρ, ε) = inf_{α > 1} exp((α - 1)(αρ - ε)) · (α - 1)^(α - 1) / α^α
 * (Canonne, Kamath and Steinke 2020, Corollary 13; it improves on
 * ε = ρ + 2√(ρ ln(1/δ)) of Bun and Steinke 2016, Proposition 1.3). The
 * expression holds at every α > 1, so a numerically imperfect minimizer
 * can only give a larger, still valid, δ; a relative slack of 1e-9 covers
 * the float error of evaluating it. Budgets stay in (ε, δ): a query is
 * charged its ε and this δ, and budget periods compose in (ε, δ).
 */

/** Relative slack added to every computed δ so float error cannot understate it. */
const DELTA_SLACK = 1e-9;

/** ln of the bound at one α: (α-1)(αρ-ε) + (α-1) ln(α-1) - α ln α. */
function logDeltaAt(alpha: number, rho: number, epsilon: number): number {
  return (
    (alpha - 1) * (alpha * rho - epsilon) +
    (alpha - 1) * Math.log(alpha - 1) -
    alpha * Math.log(alpha)
  );
}

/**
 * The α minimizing the bound: the log is convex in α with derivative
 * (2α - 1)ρ - ε + ln(1 - 1/α), found by bisection.
 */
function bestAlpha(rho: number, epsilon: number): number {
  let lo = 1 + 1e-9;
  let hi = Math.max(2, (epsilon + 1) / (2 * rho) + 2);
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    const slope = (2 * mid - 1) * rho - epsilon + Math.log1p(-1 / mid);
    if (slope < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function checkArgs(rho: number, epsilon: number): void {
  if (!(Number.isFinite(rho) && rho >= 0)) throw new RangeError('rho must be finite and >= 0');
  if (!(Number.isFinite(epsilon) && epsilon >= 0)) {
    throw new RangeError('epsilon must be finite and >= 0');
  }
}

/** δ such that a ρ-zCDP mechanism is (ε, δ)-DP (CKS 2020, Corollary 13), rounded up. */
export function zcdpDelta(rho: number | Rational, epsilon: number): number {
  const r = typeof rho === 'number' ? rho : toNumber(rho);
  checkArgs(r, epsilon);
  if (r === 0) return 0;
  const log = logDeltaAt(bestAlpha(r, epsilon), r, epsilon);
  return Math.min(1, Math.exp(log) * (1 + DELTA_SLACK));
}

/** Denominator of the rational ρ a query is given: 10^15 keeps 15 decimals. */
const RHO_DENOMINATOR = 10n ** 15n;

/**
 * The largest ρ (a rational with denominator 10^15) whose conversion at ε
 * stays within δ: bisection on the increasing map ρ -> δ(ρ, ε), keeping
 * only values checked to satisfy the bound, then rounding down and
 * re-checking the rounded value.
 */
export function rhoFor(epsilon: number, delta: number): Rational {
  checkArgs(0, epsilon);
  if (!(epsilon > 0)) throw new RangeError('epsilon must be positive');
  if (!(delta > 0 && delta < 1)) throw new RangeError('delta must lie in (0, 1)');
  let lo = 0;
  let hi = epsilon;
  while (zcdpDelta(hi, epsilon) <= delta) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (zcdpDelta(mid, epsilon) <= delta) lo = mid;
    else hi = mid;
  }
  let num = BigInt(Math.floor(lo * Number(RHO_DENOMINATOR)));
  while (num > 0n && zcdpDelta(rational(num, RHO_DENOMINATOR), epsilon) > delta) num -= 1n;
  if (num <= 0n) throw new RangeError('epsilon and delta are too small for any Gaussian noise');
  return rational(num, RHO_DENOMINATOR);
}

/** Bun and Steinke 2016's simpler conversion ε = ρ + 2√(ρ ln(1/δ)), for tests to compare. */
export function bunSteinkeEpsilon(rho: number, delta: number): number {
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}
