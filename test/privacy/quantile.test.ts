import t from 'tap';
import { planQuery } from '../../src/privacy/mechanisms.js';
import {
  binValue,
  binWidth,
  quantileGrid,
  quantileLevels,
  quantileUtilities,
  sampleQuantileBin,
} from '../../src/privacy/quantile.js';
import { add, equals, rational, toRational } from '../../src/privacy/rational.js';
import { seededSource } from '../../src/privacy/random.js';
import { release } from '../../src/privacy/release.js';
import type { PlanInput } from '../../src/privacy/types.js';
import { chiSquareCritical, chiSquareStatistic } from './stats.js';

const { median, p90 } = quantileLevels;
const percent = { lower: 0, upper: 100, granularity: 1 };

/** 1000 values: 300 in bin 10, 400 in bin 20, 300 in bin 70. Median bin 20, p90 bin 70. */
function skewed(): bigint[] {
  const h = new Array<bigint>(100).fill(0n);
  h[10] = 300n;
  h[20] = 400n;
  h[70] = 300n;
  return h;
}

function draws(n: number, draw: () => number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) counts[draw()]!++;
  return counts;
}

t.test('grid: at most 100 bins of whole grid steps, midpoints on the grid', async (t) => {
  t.same(quantileGrid(percent), { bins: 100, stepsPerBin: 1 });
  const hours = { lower: 0, upper: 168, granularity: 0.1 };
  t.same(quantileGrid(hours), { bins: 99, stepsPerBin: 17 });
  t.equal(binWidth(quantileGrid(hours), hours), 1.7);
  t.equal(binValue(0, quantileGrid(hours), hours), 0.8);
  t.equal(binValue(3, quantileGrid(hours), hours), 5.9);
  t.equal(binValue(98, quantileGrid(hours), hours), 167.4);
  const small = { lower: -2.5, upper: 2.5, granularity: 0.5 };
  t.same(quantileGrid(small), { bins: 10, stepsPerBin: 1 });
  t.equal(binValue(0, quantileGrid(small), small), -2.5);
});

t.test('utility is 0 exactly on the bin holding the rank, and falls away from it', async (t) => {
  const u = quantileUtilities(skewed(), median);
  t.equal(u[20], 0n);
  t.equal(u.filter((x) => x === 0n).length, 1);
  t.equal(u[15], -400n, 'd L - a n: 1000 - 2 * 300');
  t.equal(quantileUtilities(skewed(), p90)[70], 0n);
  t.same(quantileUtilities([0n, 0n, 0n], median), [0n, 0n, 0n], 'an empty group is uniform');
});

t.test('large epsilon: the median and p90 land in the right bin', async (t) => {
  // Every other bin has utility <= -400 (median) or <= -1000 (p90, Δ = 9):
  // its probability is below 100 e^-50 per draw, so a false failure over
  // these 4,000 draws has probability below 1e-17.
  const random = seededSource('quantile-large');
  const eps = toRational(1, 'down');
  const med = draws(2000, () => sampleQuantileBin(skewed(), median, eps, 1n, random), 100);
  t.equal(med[20], 2000);
  const top = draws(2000, () => sampleQuantileBin(skewed(), p90, eps, 9n, random), 100);
  t.equal(top[70], 2000);
});

t.test('tiny epsilon: the choice is near uniform', async (t) => {
  // ε = 1e-6: every weight is within a factor exp(-3e-4) of 1. Chi-square
  // over 100 bins of 40,000 draws against uniform, false failure rate 1e-6.
  const random = seededSource('quantile-tiny');
  const eps = toRational(1e-6, 'down');
  const counts = draws(40000, () => sampleQuantileBin(skewed(), median, eps, 1n, random), 100);
  const expected = new Array<number>(100).fill(400);
  const stat = chiSquareStatistic(counts, expected);
  t.ok(stat < chiSquareCritical(99, 1e-6), `chi-square ${stat}`);
});

t.test('the sampler draws the exact exponential-mechanism distribution', async (t) => {
  // 5 bins, histogram [1, 2, 1, 3, 1], median; ε = 1.5, Δ = 2 (m = 2).
  // P(i) ∝ exp(ε u(i) / (2Δ)); 100,000 draws, chi-square at 1e-6.
  const h = [1n, 2n, 1n, 3n, 1n];
  const u = quantileUtilities(h, median).map(Number);
  const w = u.map((x) => Math.exp((1.5 * x) / 4));
  const total = w.reduce((a, b) => a + b, 0);
  const n = 100000;
  const random = seededSource('quantile-exact');
  const eps = toRational(1.5, 'down');
  const counts = draws(n, () => sampleQuantileBin(h, median, eps, 2n, random), 5);
  const stat = chiSquareStatistic(
    counts,
    w.map((x) => (n * x) / total),
  );
  t.ok(stat < chiSquareCritical(4, 1e-6), `chi-square ${stat}, counts ${counts.join(' ')}`);
  t.ok(
    u.some((x) => x < 0),
    'the utilities are not all equal',
  );
});

function plan(aggs: PlanInput['aggregates'], needsSelection: boolean, epsilon = 0.9) {
  return planQuery({
    aggregates: aggs,
    epsilon,
    delta: 1e-6,
    k: 5,
    maxContributions: 2,
    needsSelection,
  });
}

t.test('a quantile is one more mechanism of the equal split; the charge is the sum', async (t) => {
  const p = plan(
    [
      { fn: 'count', alias: 'n' },
      { fn: 'median', alias: 'med', measure: 'x', bounds: percent },
      { fn: 'p90', alias: 'top', measure: 'x', bounds: percent },
    ],
    true,
  );
  t.same(
    p.mechanisms.map((m) => m.id),
    ['units', 'rows', 'median:x', 'p90:x'],
  );
  const sum = p.mechanisms.reduce((acc, m) => add(acc, m.epsilonExact), rational(0n));
  t.ok(equals(sum, toRational(0.9, 'down')));
  t.ok(equals(p.epsilonChargedExact, sum));
  const med = p.mechanisms[2]!;
  t.same(med.quantileEpsilon, { num: 9n, den: 40n }, 'ε/4 = 0.225');
  t.equal(med.sensitivity, 2n, 'm max(1, 1)');
  t.equal(p.mechanisms[3]!.sensitivity, 18n, 'm max(9, 1)');
  t.same(p.aggregates[1]!.noise, { mechanism: 'exponential', scale: 4 / 0.225, binWidth: 1 });
});

t.test('a Gaussian plan runs the quantile at ε = √(2ρ_i) and counts ρ_i once', async (t) => {
  const p = planQuery({
    aggregates: [{ fn: 'median', alias: 'm', measure: 'x', bounds: percent }],
    epsilon: 1,
    delta: 1e-5,
    k: 5,
    maxContributions: 2,
    needsSelection: false,
    mechanism: 'gaussian',
  });
  const mech = p.mechanisms[0]!;
  const eps = Number(mech.quantileEpsilon!.num) / Number(mech.quantileEpsilon!.den);
  const rho = Number(mech.rho!.num) / Number(mech.rho!.den);
  t.ok((eps * eps) / 2 <= rho && rho - (eps * eps) / 2 < 1e-8, `${eps} ${rho}`);
  t.equal(p.rho, rho);
});

t.test('release: public keys get a grid value in the bounds, even an empty cell', async (t) => {
  const p = plan([{ fn: 'median', alias: 'med', measure: 'x', bounds: percent }], false, 1);
  const groups = [
    { keys: ['a'], rows: 1000, units: 1000, measures: {}, histograms: { x: skewed() } },
  ];
  const random = seededSource('quantile-release');
  const r = release({ plan: p, groups, publicKeys: [['a', 'b']] }, random);
  t.equal(r.rows.length, 2);
  t.equal(r.rows[0]!.values.med, 20, 'bin 20 of [0, 100] at width 1');
  const empty = r.rows[1]!.values.med!;
  t.ok(Number.isInteger(empty) && empty >= 0 && empty <= 100);
});
