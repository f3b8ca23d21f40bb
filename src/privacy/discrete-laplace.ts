import type { RandomSource } from './random.js';
import { rational, toNumber } from './rational.js';
import type { Rational } from './types.js';

/**
 * Exact sampling of the discrete Laplace distribution, P(x) ∝ exp(-|x|/b)
 * on the integers, after Canonne, Kamath and Steinke, "The Discrete
 * Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1 and 2.
 * Only integer arithmetic and uniform integers are used, so the output
 * carries no floating-point artefacts that could reveal the true value
 * (Mironov, CCS 2012).
 */

export { toRational } from './rational.js';

const ONE: Rational = { num: 1n, den: 1n };

function checkScale(b: Rational): void {
  if (b.num <= 0n || b.den <= 0n) throw new RangeError('a discrete Laplace scale must be positive');
}

/** True with probability num/den (0 <= num <= den). */
export function sampleBernoulli(p: Rational, random: RandomSource): boolean {
  return random.uniformBelow(p.den) < p.num;
}

/**
 * Bernoulli(exp(-γ)) for γ in [0, 1] (CKS Algorithm 1, first case): draw
 * Bernoulli(γ/1), Bernoulli(γ/2), ... until one fails at step K; K is odd
 * with probability exactly exp(-γ).
 */
function bernoulliExpUnit(gamma: Rational, random: RandomSource): boolean {
  let k = 1n;
  while (random.uniformBelow(gamma.den * k) < gamma.num) k += 1n;
  return k % 2n === 1n;
}

/**
 * Bernoulli(exp(-γ)) for a rational γ >= 0 (CKS Algorithm 1): for γ > 1,
 * exp(-γ) = exp(-1)^floor(γ) * exp(-(γ - floor(γ))), each factor sampled
 * by the unit case, stopping at the first failure.
 */
export function sampleBernoulliExp(gamma: Rational, random: RandomSource): boolean {
  if (gamma.num < 0n || gamma.den <= 0n) throw new RangeError('γ must be a non-negative rational');
  let rest = gamma.num;
  while (rest > gamma.den) {
    if (!bernoulliExpUnit(ONE, random)) return false;
    rest -= gamma.den;
  }
  return bernoulliExpUnit({ num: rest, den: gamma.den }, random);
}

/**
 * Geometric Y >= 0 with P(Y = y) = (1 - p) p^y, p = exp(-1/b), b = t/s
 * (CKS Algorithm 2, first part): X = U + t V with U uniform in [0, t)
 * accepted with probability exp(-U/t) and V counting exp(-1) successes is
 * geometric with ratio exp(-1/t); then floor(X / s) has ratio exp(-s/t).
 */
export function sampleGeometric(b: Rational, random: RandomSource): bigint {
  checkScale(b);
  const { num: t, den: s } = rational(b.num, b.den);
  for (;;) {
    const u = random.uniformBelow(t);
    if (!sampleBernoulliExp({ num: u, den: t }, random)) continue;
    let v = 0n;
    while (sampleBernoulliExp(ONE, random)) v += 1n;
    return (u + t * v) / s;
  }
}

/**
 * One draw of discrete Laplace noise of scale b (CKS Algorithm 2): a
 * geometric magnitude with a fair sign, rejecting "negative zero" so that
 * 0 is not counted twice.
 */
export function sampleDiscreteLaplace(b: Rational, random: RandomSource): bigint {
  for (;;) {
    const negative = random.uniformBelow(2n) === 1n;
    const y = sampleGeometric(b, random);
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

function ratio(b: Rational | number): number {
  const value = typeof b === 'number' ? b : toNumber(b);
  if (!(value > 0)) throw new RangeError('a discrete Laplace scale must be positive');
  return Math.exp(-1 / value);
}

/** P(Z = x) = (1 - p) / (1 + p) p^|x|, p = exp(-1/b), as a float: for tests and docs. */
export function discreteLaplacePmf(x: number | bigint, b: Rational | number): number {
  const p = ratio(b);
  return ((1 - p) / (1 + p)) * p ** Math.abs(Number(x));
}

/**
 * P(Z >= s) as a float: p^s / (1 + p) for s >= 0, and 1 - p^(1-s) / (1 + p)
 * for s < 0 (symmetry). The release threshold is derived from it.
 */
export function discreteLaplaceTail(s: number, b: Rational | number): number {
  if (!Number.isInteger(s)) throw new RangeError('the tail is defined at integers');
  const p = ratio(b);
  return s >= 0 ? p ** s / (1 + p) : 1 - p ** (1 - s) / (1 + p);
}

/** Var(Z) = 2p / (1 - p)^2. */
export function discreteLaplaceVariance(b: Rational | number): number {
  const p = ratio(b);
  return (2 * p) / (1 - p) ** 2;
}
