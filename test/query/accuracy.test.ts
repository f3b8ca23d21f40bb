import t from 'tap';
import { sampleDiscreteLaplace } from '../../src/privacy/discrete-laplace.js';
import { seededSource } from '../../src/privacy/random.js';
import { rational } from '../../src/privacy/rational.js';
import {
  aggregateHalfWidth,
  avgHalfWidth,
  laplaceHalfWidth,
  laplaceTailAbove,
} from '../../src/privacy/accuracy.js';
import { discreteGaussianHalfWidth } from '../../src/privacy/discrete-gaussian.js';
import { planQuery } from '../../src/privacy/mechanisms.js';

t.test('the half-width is the smallest h with P(|Z| > h) <= 5%', async (t) => {
  for (const b of [0.3, 1, 2, 6, 12, 1296, 12960]) {
    const h = laplaceHalfWidth(b, 0.95);
    t.ok(laplaceTailAbove(b, h) <= 0.05, `b=${b}: tail at ${h} within 5%`);
    if (h > 0) t.ok(laplaceTailAbove(b, h - 1) > 0.05, `b=${b}: ${h - 1} is too narrow`);
  }
  t.equal(laplaceHalfWidth(2, 0.95), 6, 'b = 2: 2 p^7 / (1 + p) = 0.030, 2 p^6 / (1 + p) = 0.050');
  t.equal(laplaceHalfWidth(0.25, 0.95), 0, 'b = 0.25: 2p / (1 + p) = 0.036, exact 96% of the time');
  t.throws(() => laplaceHalfWidth(2, 1), RangeError);
  t.throws(() => laplaceHalfWidth(0, 0.95), RangeError);
});

t.test('the tail formula matches the summed probability mass', async (t) => {
  const b = 3;
  const p = Math.exp(-1 / b);
  const mass = (x: number) => ((1 - p) / (1 + p)) * Math.pow(p, Math.abs(x));
  for (const h of [0, 1, 5, 9]) {
    let inside = 0;
    for (let x = -h; x <= h; x++) inside += mass(x);
    t.ok(Math.abs(1 - inside - laplaceTailAbove(b, h)) < 1e-12, `h=${h}`);
  }
});

t.test('sampled noise falls inside the interval about 95% of the time', async (t) => {
  // 20,000 draws: the coverage estimate has sd <= 0.0016, so the 0.94 bound fails
  // by chance with probability below 1e-9 when the true coverage is >= 0.95.
  const random = seededSource('accuracy-coverage');
  const b = 4;
  const h = laplaceHalfWidth(b, 0.95);
  let inside = 0;
  let insideNarrower = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const z = Math.abs(Number(sampleDiscreteLaplace(rational(4n), random)));
    if (z <= h) inside++;
    if (z <= h - 1) insideNarrower++;
  }
  t.ok(inside / n >= 0.94, `coverage ${inside / n}`);
  t.ok(insideNarrower / n < 0.96, `h - 1 covers less (${insideNarrower / n})`);
});

t.test('the avg interval covers the true mean at least 95% of the time', async (t) => {
  // 5,000 trials: coverage sd <= 0.0031; the 0.94 bound fails by chance below 1e-3.
  const random = seededSource('accuracy-avg');
  const bounds = { lower: 0, upper: 100, granularity: 1 };
  const [bs, bc] = [200, 2];
  const each = 0.975;
  const numerator = laplaceHalfWidth(bs, each) + 100 * laplaceHalfWidth(bc, each);
  const n = 40;
  const trueSum = 40 * 73;
  let covered = 0;
  const trials = 5_000;
  for (let i = 0; i < trials; i++) {
    const s = trueSum + Number(sampleDiscreteLaplace(rational(BigInt(bs)), random));
    const c = n + Number(sampleDiscreteLaplace(rational(BigInt(bc)), random));
    const avg = Math.min(100, Math.max(0, s / Math.max(1, c)));
    if (Math.abs(avg - 73) <= avgHalfWidth(numerator, c, bounds)) covered++;
  }
  t.ok(covered / trials >= 0.94, `coverage ${covered / trials}`);
  t.equal(avgHalfWidth(numerator, 0, bounds), 100, 'no count: the whole range');
  t.equal(avgHalfWidth(1e9, 5, bounds), 100, 'never wider than the range');
});

t.test('a Gaussian plan gets Gaussian half-widths, not Laplace ones', async (t) => {
  const plan = planQuery({
    aggregates: [{ fn: 'count', alias: 'count' }],
    epsilon: 1,
    delta: 1e-5,
    k: 5,
    maxContributions: 2,
    needsSelection: false,
    mechanism: 'gaussian',
  });
  const mech = plan.mechanisms.find((m) => m.id === 'rows')!;
  t.equal(mech.distribution, 'discrete_gaussian');
  const h = aggregateHalfWidth(plan, plan.aggregates[0]!);
  t.equal(h, discreteGaussianHalfWidth(mech.sigma2!, 0.95), 'the Gaussian tail decides it');
  const sigma = Math.sqrt(Number(mech.sigma2!.num) / Number(mech.sigma2!.den));
  t.ok(h >= 1.9 * sigma && h <= 2.1 * sigma + 1, `about 1.96 sigma (${h} for sigma ${sigma})`);
});
