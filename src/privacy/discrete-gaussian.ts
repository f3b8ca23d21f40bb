import { sampleBernoulliExp, sampleDiscreteLaplace } from './discrete-laplace.js';
import type { RandomSource } from './random.js';
import { rational, toNumber } from './rational.js';
import type { Rational } from './types.js';
import { smallestFitting } from './integer-search.js';

/**
 * Exact sampling of the discrete Gaussian N_Z(0, σ²), P(x) ∝ exp(-x²/(2σ²))
 * on the integers.
 *
 * Arguments: σ² as an exact positive rational, and a RandomSource
 * (node:crypto in production, a seeded stream in tests).
 *
 * Privacy claim: for an integer vector f with L2 sensitivity Δ₂, adding
 * independent N_Z(0, σ²) noise to each coordinate is ρ-zCDP with
 * ρ = Δ₂² / (2σ²) (Canonne, Kamath and Steinke 2020, Theorem 14), the same
 * as the continuous Gaussian.
 *
 * Sampling: CKS 2020, Algorithm 3. With t = floor(σ) + 1, draw Y from the
 * discrete Laplace of scale t and accept it with probability
 * exp(-(|Y| - σ²/t)² / (2σ²)). The accepted Y has exactly the discrete
 * Gaussian law; the acceptance is a Bernoulli(exp(-γ)) draw on an exact
 * rational γ, so no float ever touches the sample (Mironov, CCS 2012).
 *
 * Citation: C. Canonne, G. Kamath, T. Steinke, "The Discrete Gaussian for
 * Differential Privacy", NeurIPS 2020 (arXiv:2004.00010).
 */

function checkVariance(sigma2: Rational): void {
  if (sigma2.num <= 0n || sigma2.den <= 0n) {
    throw new RangeError('a discrete Gaussian variance parameter must be positive');
  }
}

/** floor(sqrt(n)) for a bigint n >= 0, by Newton's method on integers. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number');
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n)))) + 1n;
  for (;;) {
    const y = (x + n / x) / 2n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/** floor(σ) for σ² = a/b: floor(sqrt(a/b)) = isqrt(floor(a/b)). */
export function floorSqrt(sigma2: Rational): bigint {
  return isqrt(sigma2.num / sigma2.den);
}

/**
 * γ = (|y| - σ²/t)² / (2σ²) as an exact rational. With σ² = a/b:
 * (|y| b t - a)² / (2 a b t²).
 */
export function acceptanceExponent(y: bigint, t: bigint, sigma2: Rational): Rational {
  const { num: a, den: b } = sigma2;
  const magnitude = y < 0n ? -y : y;
  const diff = magnitude * b * t - a;
  return rational(diff * diff, 2n * a * b * t * t);
}

/** One draw of N_Z(0, σ²), exactly (CKS 2020, Algorithm 3). */
export function sampleDiscreteGaussian(sigma2: Rational, random: RandomSource): bigint {
  checkVariance(sigma2);
  const t = floorSqrt(sigma2) + 1n;
  const scale = rational(t);
  for (;;) {
    const y = sampleDiscreteLaplace(scale, random);
    if (sampleBernoulliExp(acceptanceExponent(y, t, sigma2), random)) return y;
  }
}

/** How far the float sums below reach: beyond 40σ + 40 the terms are below e^-800. */
function reach(sigma: number): number {
  return Math.ceil(40 * sigma + 40);
}

function sigmaOf(sigma2: Rational | number): number {
  const value = typeof sigma2 === 'number' ? sigma2 : toNumber(sigma2);
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError('a discrete Gaussian variance parameter must be positive');
  }
  return Math.sqrt(value);
}

/**
 * The normalizing constant Σ_x exp(-x²/(2σ²)), by direct summation: for
 * tests and docs (exact up to float rounding for σ up to about 10^4).
 */
export function discreteGaussianNormalizer(sigma2: Rational | number): number {
  const sigma = sigmaOf(sigma2);
  const s2 = sigma * sigma;
  let sum = 1;
  for (let x = 1; x <= reach(sigma); x++) sum += 2 * Math.exp(-(x * x) / (2 * s2));
  return sum;
}

/** P(Z = x) for Z ~ N_Z(0, σ²), as a float: for tests and docs. */
export function discreteGaussianPmf(x: number | bigint, sigma2: Rational | number): number {
  const sigma = sigmaOf(sigma2);
  const v = Number(x);
  return Math.exp(-(v * v) / (2 * sigma * sigma)) / discreteGaussianNormalizer(sigma2);
}

/** Var(Z) for Z ~ N_Z(0, σ²), by summation (slightly below σ² for small σ): for tests. */
export function discreteGaussianVariance(sigma2: Rational | number): number {
  const sigma = sigmaOf(sigma2);
  const s2 = sigma * sigma;
  let sum = 0;
  for (let x = 1; x <= reach(sigma); x++) sum += 2 * x * x * Math.exp(-(x * x) / (2 * s2));
  return sum / discreteGaussianNormalizer(sigma2);
}

/**
 * ln of an upper bound on P(Z >= s), Z ~ N_Z(0, σ²), s >= 1, used for the
 * release threshold. Numerator: the terms decrease for x >= s, so
 * Σ_{x>=s} e^{-x²/2σ²} <= e^{-s²/2σ²} + ∫_s^∞ e^{-x²/2σ²} dx
 * <= e^{-s²/2σ²} (1 + σ²/s) (Mills' ratio). Denominator: by Poisson
 * summation Σ_x e^{-x²/2σ²} = √(2π)σ Σ_k e^{-2π²σ²k²} >= √(2π)σ, and it is
 * >= 1 (the x = 0 term). Every step rounds against the caller: the bound is
 * never below the true tail.
 */
export function discreteGaussianLogTailBound(s: number, sigma2: Rational | number): number {
  if (!Number.isInteger(s) || s < 1) throw new RangeError('the tail bound is for integers s >= 1');
  const sigma = sigmaOf(sigma2);
  const s2 = sigma * sigma;
  const logNumerator = -(s * s) / (2 * s2) + Math.log1p(s2 / s);
  const logDenominator = Math.max(0, Math.log(Math.sqrt(2 * Math.PI) * sigma));
  return logNumerator - logDenominator;
}

/** P(Z >= s) for integers s, by summation: for tests and docs. */
export function discreteGaussianTail(s: number, sigma2: Rational | number): number {
  if (!Number.isInteger(s)) throw new RangeError('the tail is defined at integers');
  const sigma = sigmaOf(sigma2);
  const s2 = sigma * sigma;
  if (s <= 0) return 1 - discreteGaussianTail(1 - s, sigma2);
  let sum = 0;
  for (let x = s; x <= s + reach(sigma); x++) sum += Math.exp(-(x * x) / (2 * s2));
  return sum / discreteGaussianNormalizer(sigma2);
}

/**
 * Half-width h of a confidence interval for one N_Z(0, σ²) draw: the
 * smallest integer h >= 0 with P(|Z| > h) = 2 P(Z >= h + 1) <= 1 - confidence,
 * from the conservative tail bound, so the interval never claims too much.
 * For Gaussian plans, the answer's intervals use this with the mechanism's σ².
 * The bound falls as h grows, so h is found by doubling and bisection: a
 * linear scan would take about 2σ steps, minutes of blocked event loop for
 * the σ of a sum at a tiny epsilon (an accuracy target searches those).
 */
export function discreteGaussianHalfWidth(sigma2: Rational | number, confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError('confidence must lie in (0, 1)');
  const target = Math.log((1 - confidence) / 2);
  return smallestFitting(0, (h) => discreteGaussianLogTailBound(h + 1, sigma2) <= target);
}
