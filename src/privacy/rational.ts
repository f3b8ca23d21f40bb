import type { Rational } from './types.js';

/**
 * Exact rational arithmetic on bigints. Noise scales, epsilon shares and
 * sensitivities are kept exact so that the sampler never rounds and the
 * charged epsilon is exactly the sum of the shares.
 */

/** Largest denominator used when a number is not a short decimal (10^9). */
export const DECIMAL_DENOMINATOR = 1_000_000_000n;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** num/den in lowest terms with a positive denominator. */
export function rational(num: bigint, den: bigint = 1n): Rational {
  if (den === 0n) throw new RangeError('a rational needs a non-zero denominator');
  const sign = den < 0n ? -1n : 1n;
  const g = gcd(num, den) || 1n;
  return { num: (sign * num) / g, den: (sign * den) / g };
}

/** a · b: scales a sum's grid noise scale into the measure's units. */
export function multiply(a: Rational, b: Rational): Rational {
  return rational(a.num * b.num, a.den * b.den);
}

/** a / b: a noise scale is sensitivity / epsilon share. */
export function divide(a: Rational, b: Rational): Rational {
  if (b.num === 0n) throw new RangeError('division by a zero rational');
  return rational(a.num * b.den, a.den * b.num);
}

/** a + b: the charged epsilon is the exact sum of the shares. */
export function add(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den + b.num * a.den, a.den * b.den);
}

/** Exact equality of two rationals, whether reduced or not. */
export function equals(a: Rational, b: Rational): boolean {
  return a.num * b.den === b.num * a.den;
}

/** Smallest integer >= a. */
export function ceil(a: Rational): bigint {
  const q = a.num / a.den;
  return q * a.den < a.num ? q + 1n : q;
}

/** The nearest double; used only for display and for the float tail formulas. */
export function toNumber(a: Rational): number {
  return Number(a.num) / Number(a.den);
}

/** The shortest decimal JS prints for x, as an exact rational, if it has at most 9 decimals. */
function shortDecimal(x: number): Rational | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!m) return undefined;
  const frac = m[3] ?? '';
  const exp10 = Number(m[4] ?? '0') - frac.length;
  const digits = BigInt(`${m[1]}${m[2]}${frac}`);
  if (exp10 >= 0) return rational(digits * 10n ** BigInt(exp10));
  if (exp10 < -9) return undefined;
  return rational(digits, 10n ** BigInt(-exp10));
}

/** The exact value of a finite double, as m / 2^k. */
function exactBinary(x: number): Rational {
  let scaled = x;
  let den = 1n;
  while (!Number.isInteger(scaled)) {
    scaled *= 2;
    den *= 2n;
  }
  return rational(BigInt(scaled), den);
}

/**
 * Turns an epsilon, bound or scale into an exact rational. A number that
 * prints with at most 9 decimals (0.1, 0.25, 1e-7) is taken as that decimal
 * exactly: it is what the policy or request wrote. Any other number is
 * rounded to a multiple of 10^-9 in the given direction, so a caller can
 * make the rounding conservative: epsilon `down`, scales and bounds `up`.
 */
export function toRational(x: number, round: 'down' | 'up' = 'down'): Rational {
  if (!Number.isFinite(x)) throw new RangeError('only finite numbers have a rational value');
  const short = shortDecimal(x);
  if (short) return short;
  const exact = exactBinary(x);
  const scaled = exact.num * DECIMAL_DENOMINATOR;
  let q = scaled / exact.den;
  const exactDivision = q * exact.den === scaled;
  if (!exactDivision && scaled < 0n) q -= 1n;
  if (!exactDivision && round === 'up') q += 1n;
  return rational(q, DECIMAL_DENOMINATOR);
}
