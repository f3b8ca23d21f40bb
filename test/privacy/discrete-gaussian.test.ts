import t from 'tap';
import {
  acceptanceExponent,
  discreteGaussianHalfWidth,
  discreteGaussianLogTailBound,
  discreteGaussianNormalizer,
  discreteGaussianPmf,
  discreteGaussianTail,
  discreteGaussianVariance,
  floorSqrt,
  isqrt,
  sampleDiscreteGaussian,
} from '../../src/privacy/discrete-gaussian.js';
import { seededSource } from '../../src/privacy/random.js';
import type { Rational } from '../../src/privacy/types.js';
import { chiSquareCritical, chiSquareStatistic, moments, Z_1E6 } from './stats.js';

/** Each statistical check below fails by chance with probability at most 1e-6. */
const ALPHA = 1e-6;
const DRAWS = 200_000;

/** Bins -L..L with expected count >= 5, plus the two pooled tails. */
function gaussianBins(sigma2: Rational, n: number): { limit: number; expected: number[] } {
  let limit = 0;
  while (
    n * discreteGaussianPmf(limit + 1, sigma2) >= 5 &&
    n * discreteGaussianTail(limit + 2, sigma2) >= 5
  ) {
    limit += 1;
  }
  const tail = n * discreteGaussianTail(limit + 1, sigma2);
  const middle = Array.from(
    { length: 2 * limit + 1 },
    (_, i) => n * discreteGaussianPmf(i - limit, sigma2),
  );
  return { limit, expected: [tail, ...middle, tail] };
}

function fourthMoment(sigma2: Rational): number {
  let sum = 0;
  const reach = Math.ceil(40 * Math.sqrt(Number(sigma2.num) / Number(sigma2.den)) + 40);
  for (let x = 1; x <= reach; x++) sum += 2 * x ** 4 * discreteGaussianPmf(x, sigma2);
  return sum;
}

for (const [label, sigma2] of [
  ['1/4', { num: 1n, den: 4n }],
  ['1', { num: 1n, den: 1n }],
  ['10/3', { num: 10n, den: 3n }],
  ['40', { num: 40n, den: 1n }],
] as [string, Rational][]) {
  t.test(`discrete Gaussian σ² = ${label} fits the exact pmf`, async (t) => {
    const source = seededSource(`gaussian-${label}`);
    const samples = Array.from({ length: DRAWS }, () =>
      Number(sampleDiscreteGaussian(sigma2, source)),
    );
    const { limit, expected } = gaussianBins(sigma2, DRAWS);
    const observed = Array<number>(expected.length).fill(0);
    for (const z of samples)
      observed[Math.max(-limit - 1, Math.min(limit + 1, z)) + limit + 1]! += 1;
    const df = expected.length - 1;
    const critical = chiSquareCritical(df, ALPHA);
    const stat = chiSquareStatistic(observed, expected);
    t.ok(stat < critical, `chi-square ${stat.toFixed(2)} < ${critical.toFixed(2)} (df ${df})`);

    const variance = discreteGaussianVariance(sigma2);
    const { mean, variance: sampleVariance } = moments(samples);
    t.ok(Math.abs(mean) < Z_1E6 * Math.sqrt(variance / DRAWS), `mean ${mean}`);
    const varianceError = Math.sqrt((fourthMoment(sigma2) - variance ** 2) / DRAWS);
    t.ok(
      Math.abs(sampleVariance - variance) < Z_1E6 * varianceError,
      `variance ${sampleVariance} vs ${variance}`,
    );
  });
}

t.test('variance is close to σ² for σ >= 1 and the pmf sums to one', async (t) => {
  t.ok(Math.abs(discreteGaussianVariance(40) - 40) < 1e-9, 'σ² = 40');
  t.ok(Math.abs(discreteGaussianVariance(1) - 1) < 1e-6, 'σ² = 1');
  t.ok(discreteGaussianVariance(0.25) < 0.25, 'below σ² for small σ');
  let total = 0;
  for (let x = -300; x <= 300; x++) total += discreteGaussianPmf(x, 10);
  t.ok(Math.abs(total - 1) < 1e-12);
  t.ok(Math.abs(discreteGaussianNormalizer(40) - Math.sqrt(2 * Math.PI * 40)) < 1e-9);
  t.ok(Math.abs(discreteGaussianTail(0, 10) + discreteGaussianTail(1, 10) - 1) < 1e-12);
});

t.test('the tail bound is never below the exact tail and is close to it', async (t) => {
  for (const sigma2 of [0.5, 1, 10, 40, 1000]) {
    for (const s of [1, 2, 5, 10, 30, 100, 200]) {
      const exact = discreteGaussianTail(s, sigma2);
      if (exact < 1e-300) continue;
      const bound = Math.exp(discreteGaussianLogTailBound(s, sigma2));
      t.ok(bound >= exact, `σ² ${sigma2}, s ${s}: ${bound} >= ${exact}`);
    }
  }
  const exact = discreteGaussianTail(30, 40);
  const bound = Math.exp(discreteGaussianLogTailBound(30, 40));
  t.ok(bound < 2 * exact, `within a factor 2 in the threshold's range: ${bound} vs ${exact}`);
});

t.test('integer square roots and the acceptance exponent are exact', async (t) => {
  for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, 10n ** 30n, 10n ** 30n - 1n]) {
    const r = isqrt(n);
    t.ok(r * r <= n && (r + 1n) * (r + 1n) > n, `isqrt(${n}) = ${r}`);
  }
  t.equal(floorSqrt({ num: 10n, den: 3n }), 1n);
  t.equal(floorSqrt({ num: 40n, den: 1n }), 6n);
  t.equal(floorSqrt({ num: 1n, den: 4n }), 0n);
  // σ² = 10/3, t = 2, y = -3: (3 - 5/3)² / (20/3) = (16/9) · (3/20) = 4/15.
  t.same(acceptanceExponent(-3n, 2n, { num: 10n, den: 3n }), { num: 4n, den: 15n });
  t.same(acceptanceExponent(0n, 1n, { num: 1n, den: 4n }), { num: 1n, den: 8n });
});

t.test('bad variances are refused', async (t) => {
  const source = seededSource('bad-gaussian');
  t.throws(() => sampleDiscreteGaussian({ num: 0n, den: 1n }, source), RangeError);
  t.throws(() => sampleDiscreteGaussian({ num: -1n, den: 2n }, source), RangeError);
  t.throws(() => discreteGaussianPmf(0, Number.NaN), RangeError);
  t.throws(() => discreteGaussianLogTailBound(0, 4), RangeError);
});

t.test('the 95% half-width covers at least 95% and is near 1.96σ', async (t) => {
  for (const sigma2 of [1, 40, 196.4, 10000]) {
    const h = discreteGaussianHalfWidth(sigma2, 0.95);
    t.ok(2 * discreteGaussianTail(h + 1, sigma2) <= 0.05, `σ² ${sigma2}: h = ${h} covers`);
    const sigma = Math.sqrt(sigma2);
    t.ok(h <= Math.ceil(2.1 * sigma) + 1, `h ${h} vs 1.96σ = ${(1.96 * sigma).toFixed(1)}`);
  }
  t.throws(() => discreteGaussianHalfWidth(4, 1), RangeError);
});

t.test('the half-width is the smallest h by the bound, found fast for huge σ', async (t) => {
  const linear = (sigma2: number) => {
    let h = 0;
    while (discreteGaussianLogTailBound(h + 1, sigma2) > Math.log(0.025)) h += 1;
    return h;
  };
  for (const sigma2 of [0.01, 0.25, 1, 2, 40, 196.4, 1e4, 3.7e5]) {
    t.equal(discreteGaussianHalfWidth(sigma2, 0.95), linear(sigma2), `σ² ${sigma2}`);
  }
  // σ ≈ 1.7e10: the σ of a NYC hours sum at ε = 1e-6; a linear scan needs 3e10 steps.
  const start = process.hrtime.bigint();
  const h = discreteGaussianHalfWidth(2.9e20, 0.95);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const sigma = Math.sqrt(2.9e20);
  t.ok(h > 1.9 * sigma && h < 2.1 * sigma, `h ${h} near 2σ = ${2 * sigma}`);
  t.ok(ms < 500, `found in ${ms.toFixed(2)} ms`);
  t.ok(discreteGaussianLogTailBound(h + 1, 2.9e20) <= Math.log(0.025));
  t.ok(discreteGaussianLogTailBound(h, 2.9e20) > Math.log(0.025), 'and h - 1 is not enough');
});
