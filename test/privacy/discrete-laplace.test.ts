import t from 'tap';
import {
  discreteLaplacePmf,
  discreteLaplaceTail,
  discreteLaplaceVariance,
  sampleBernoulliExp,
  sampleDiscreteLaplace,
  sampleGeometric,
} from '../../src/privacy/discrete-laplace.js';
import { seededSource } from '../../src/privacy/random.js';
import type { Rational } from '../../src/privacy/types.js';
import { chiSquareCritical, chiSquareStatistic, moments, Z_1E6 } from './stats.js';

/** Each statistical check below fails by chance with probability at most 1e-6. */
const ALPHA = 1e-6;
const DRAWS = 200_000;

/** Bins -L..L with expected count >= 5, plus the two pooled tails (<-L, >L). */
function laplaceBins(b: Rational, n: number): { limit: number; expected: number[] } {
  let limit = 0;
  while (n * discreteLaplacePmf(limit + 1, b) >= 5 && n * discreteLaplaceTail(limit + 2, b) >= 5) {
    limit += 1;
  }
  const tail = n * discreteLaplaceTail(limit + 1, b);
  const middle = Array.from(
    { length: 2 * limit + 1 },
    (_, i) => n * discreteLaplacePmf(i - limit, b),
  );
  return { limit, expected: [tail, ...middle, tail] };
}

/** E[Z^4], summed far into the tail, for the standard error of the sample variance. */
function fourthMoment(b: Rational): number {
  let sum = 0;
  const bound = Math.ceil((60 * Number(b.num)) / Number(b.den)) + 60;
  for (let x = 1; x <= bound; x++) sum += 2 * x ** 4 * discreteLaplacePmf(x, b);
  return sum;
}

for (const [label, b] of [
  ['0.5', { num: 1n, den: 2n }],
  ['2', { num: 2n, den: 1n }],
  ['10/3', { num: 10n, den: 3n }],
] as [string, Rational][]) {
  t.test(`discrete Laplace b = ${label} fits the exact pmf`, async (t) => {
    const source = seededSource(`laplace-${label}`);
    const samples = Array.from({ length: DRAWS }, () => Number(sampleDiscreteLaplace(b, source)));
    const { limit, expected } = laplaceBins(b, DRAWS);
    const observed = Array<number>(expected.length).fill(0);
    for (const z of samples)
      observed[Math.max(-limit - 1, Math.min(limit + 1, z)) + limit + 1]! += 1;
    const df = expected.length - 1;
    const critical = chiSquareCritical(df, ALPHA);
    const stat = chiSquareStatistic(observed, expected);
    t.ok(stat < critical, `chi-square ${stat.toFixed(2)} < ${critical.toFixed(2)} (df ${df})`);

    const variance = discreteLaplaceVariance(b);
    const { mean, variance: sampleVariance } = moments(samples);
    t.ok(Math.abs(mean) < Z_1E6 * Math.sqrt(variance / DRAWS), `mean ${mean}`);
    const varianceError = Math.sqrt((fourthMoment(b) - variance ** 2) / DRAWS);
    t.ok(
      Math.abs(sampleVariance - variance) < Z_1E6 * varianceError,
      `variance ${sampleVariance} vs 2p/(1-p)^2 = ${variance}`,
    );
  });
}

t.test('pmf, tail and variance match closed forms written out here', async (t) => {
  // The fits above compare the sampler with the module's own pmf; these pin
  // that pmf to the textbook law, P(Z = x) = tanh(1 / 2b) * exp(-|x| / b).
  for (const [b, scale] of [
    [{ num: 1n, den: 2n }, 0.5],
    [{ num: 2n, den: 1n }, 2],
    [{ num: 10n, den: 3n }, 10 / 3],
  ] as [Rational, number][]) {
    const close = (a: number, e: number, what: string) =>
      t.ok(Math.abs(a - e) < 1e-12 * Math.max(1, Math.abs(e)), `b = ${scale}: ${what}`);
    for (const x of [-3, 0, 1, 7]) {
      const expected = Math.tanh(1 / (2 * scale)) * Math.exp(-Math.abs(x) / scale);
      close(discreteLaplacePmf(x, b), expected, `P(Z = ${x}) = ${expected}`);
    }
    close(discreteLaplaceTail(0, b), 1 / (1 + Math.exp(-1 / scale)), 'P(Z >= 0)');
    const p = Math.exp(-1 / scale);
    close(discreteLaplaceVariance(b), (2 * p) / (1 - p) ** 2, 'variance 2p / (1 - p)^2');
  }
});

t.test('pmf and tail agree with each other and sum to one', async (t) => {
  const b = { num: 10n, den: 3n };
  let total = 0;
  for (let x = -400; x <= 400; x++) total += discreteLaplacePmf(x, b);
  t.ok(Math.abs(total - 1) < 1e-12);
  let tail = 0;
  for (let x = 4; x <= 400; x++) tail += discreteLaplacePmf(x, b);
  t.ok(Math.abs(tail - discreteLaplaceTail(4, b)) < 1e-12);
  t.ok(Math.abs(discreteLaplaceTail(-3, b) - (1 - discreteLaplaceTail(4, b))) < 1e-12);
  t.ok(Math.abs(discreteLaplaceTail(0, b) + discreteLaplaceTail(1, b) - 1) < 1e-12);
});

t.test('Bernoulli(exp(-γ)) has frequency exp(-γ)', async (t) => {
  const source = seededSource('bernoulli-exp');
  const n = 200_000;
  for (const [num, den] of [
    [1n, 3n],
    [1n, 1n],
    [5n, 2n],
    [7n, 3n],
  ]) {
    const gamma = { num: num!, den: den! };
    let hits = 0;
    for (let i = 0; i < n; i++) if (sampleBernoulliExp(gamma, source)) hits += 1;
    const p = Math.exp(-Number(num) / Number(den));
    const bound = Z_1E6 * Math.sqrt(n * p * (1 - p));
    t.ok(Math.abs(hits - n * p) < bound, `γ = ${num}/${den}: ${hits} vs ${n * p}`);
  }
  t.equal(sampleBernoulliExp({ num: 0n, den: 5n }, source), true, 'γ = 0 always succeeds');
  t.throws(() => sampleBernoulliExp({ num: -1n, den: 2n }, source), RangeError);
});

t.test('geometric draws have mean p / (1 - p)', async (t) => {
  const source = seededSource('geometric');
  const b = { num: 10n, den: 3n };
  const p = Math.exp(-0.3);
  const n = 100_000;
  const samples = Array.from({ length: n }, () => Number(sampleGeometric(b, source)));
  const { mean } = moments(samples);
  const sd = Math.sqrt(p) / (1 - p);
  t.ok(Math.abs(mean - p / (1 - p)) < (Z_1E6 * sd) / Math.sqrt(n), `mean ${mean}`);
  t.ok(samples.every((y) => y >= 0 && Number.isInteger(y)));
});

t.test('bad scales are refused', async (t) => {
  const source = seededSource('bad');
  t.throws(() => sampleDiscreteLaplace({ num: 0n, den: 1n }, source), RangeError);
  t.throws(() => sampleDiscreteLaplace({ num: 1n, den: -2n }, source), RangeError);
  t.throws(() => discreteLaplacePmf(0, 0), RangeError);
});

t.test('large scales from 10^9 denominators sample fine', async (t) => {
  const source = seededSource('large');
  const b = { num: 1_500_000_000n, den: 83_333_333n };
  const samples = Array.from({ length: 20_000 }, () => Number(sampleDiscreteLaplace(b, source)));
  const { mean, variance } = moments(samples);
  const expected = discreteLaplaceVariance(b);
  const varianceError = Math.sqrt((fourthMoment(b) - expected ** 2) / 20_000);
  t.ok(Math.abs(mean) < Z_1E6 * Math.sqrt(expected / 20_000), `mean ${mean}`);
  t.ok(
    Math.abs(variance - expected) < Z_1E6 * varianceError,
    `variance ${variance} vs ${expected}`,
  );
});
