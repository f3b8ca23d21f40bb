import t from 'tap';
import { discreteLaplaceTail, sampleDiscreteLaplace } from '../../src/privacy/discrete-laplace.js';
import { planQuery } from '../../src/privacy/mechanisms.js';
import { seededSource } from '../../src/privacy/random.js';
import { release } from '../../src/privacy/release.js';
import { releaseThreshold, selectionScale, thresholdOffset } from '../../src/privacy/threshold.js';
import type { TrueGroup } from '../../src/privacy/types.js';
import { Z_1E6 } from './stats.js';

/*
 * tau = k + t, t the smallest integer >= 0 with p^t / (1 + p) <= delta / m,
 * p = exp(-1/b), b = m / epsilonSel; that is t = ceil(b (ln(m/delta) - ln(1+p))).
 */
t.test('tau for hand-computed parameters', async (t) => {
  // b = 1, p = 0.367879: 1 * (ln 1e6 - ln 1.367879) = 13.8155 - 0.3133 = 13.502 -> t = 14.
  t.equal(releaseThreshold({ epsilonSel: 1, delta: 1e-6, m: 1, k: 5 }), 19);
  // b = 12, p = 0.920044: 12 * (ln 3e6 - ln 1.920044) = 12 * 14.2618 = 171.14 -> t = 172.
  t.equal(releaseThreshold({ epsilonSel: 0.25, delta: 1e-6, m: 3, k: 5 }), 177);
  // b = 2, p = 0.606531: 2 * (ln 20 - ln 1.606531) = 2 * (2.99573 - 0.47408) = 5.043 -> t = 6.
  t.equal(releaseThreshold({ epsilonSel: 0.5, delta: 0.05, m: 1, k: 5 }), 11);
  // b = 4, p = 0.778801: 4 * (ln 40 - ln 1.778801) = 4 * (3.68888 - 0.57594) = 12.452 -> t = 13.
  t.equal(releaseThreshold({ epsilonSel: 0.5, delta: 0.05, m: 2, k: 5 }), 18);
  // b = 24 (epsilon 0.5 over four mechanisms, m = 3): 24 * (14.9141 - 0.6725) = 341.80 -> t = 342.
  t.equal(releaseThreshold({ epsilonSel: { num: 1n, den: 8n }, delta: 1e-6, m: 3, k: 5 }), 347);
  // delta = 0.9 is so large that t = 0: P(Z >= 0) = 1 / (1 + p) = 0.62 <= 0.9.
  t.equal(releaseThreshold({ epsilonSel: 0.5, delta: 0.9, m: 1, k: 5 }), 5);
});

t.test('t is the smallest offset whose tail is at most delta / m', async (t) => {
  for (const [eps, delta, m] of [
    [1, 1e-6, 1],
    [0.25, 1e-6, 3],
    [0.1, 1e-5, 5],
    [2, 1e-3, 10],
    [0.5, 0.05, 2],
  ] as [number, number, number][]) {
    const b = selectionScale(eps, m);
    const offset = thresholdOffset(b, delta, m);
    t.ok(discreteLaplaceTail(offset, b) <= delta / m, `P(Z >= ${offset}) <= delta/m`);
    t.ok(discreteLaplaceTail(offset - 1, b) > delta / m, `P(Z >= ${offset - 1}) > delta/m`);
  }
});

t.test('a number epsilon is rounded down, which can only raise tau', async (t) => {
  t.equal(
    releaseThreshold({ epsilonSel: 0.25, delta: 1e-6, m: 3, k: 5 }),
    releaseThreshold({ epsilonSel: { num: 1n, den: 4n }, delta: 1e-6, m: 3, k: 5 }),
  );
  // 1/6 as a double becomes 83333333/500000000 < 1/6, so b = 18.00000007 > 18.
  t.same(selectionScale(1 / 6, 3), { num: 1_500_000_000n, den: 83_333_333n });
  t.throws(() => releaseThreshold({ epsilonSel: 1, delta: 0, m: 1, k: 5 }), RangeError);
  t.throws(() => releaseThreshold({ epsilonSel: 0, delta: 1e-6, m: 1, k: 5 }), RangeError);
});

function groupsOf(units: number, count: number): TrueGroup[] {
  return Array.from({ length: count }, (_, i) => ({
    keys: [`g${i}`],
    rows: units,
    units,
    measures: {},
  }));
}

/*
 * Simulation with a large delta so the rates are measurable: epsilon 0.5 on
 * count_units alone, m = 1, delta = 0.05, k = 5 gives b = 2, tau = 11.
 * Each rate check below fails by chance with probability at most 1e-6.
 */
t.test('release rates around the threshold (seeded simulation)', async (t) => {
  const plan = planQuery({
    aggregates: [{ fn: 'count_units', alias: 'units' }],
    epsilon: 0.5,
    delta: 0.05,
    k: 5,
    maxContributions: 1,
    needsSelection: true,
  });
  t.equal(plan.selection!.tau, 11);
  const n = 40_000;
  const source = seededSource('threshold-simulation');
  const b = plan.mechanisms[0]!.scale;

  // Exactly k units (a k - 1 neighbour plus one unit): released with P(Z >= 6) = 0.0310.
  const atK = release({ plan, groups: groupsOf(5, n), publicKeys: [undefined] }, source);
  const exact = discreteLaplaceTail(6, b);
  const sd = Math.sqrt(n * exact * (1 - exact));
  t.ok(Math.abs(atK.released - n * exact) < Z_1E6 * sd, `${atK.released} ~ ${n * exact}`);
  t.ok(atK.released / n <= 0.05, 'at most delta / m');

  // k - 1 units: never released, whatever the noise (hard floor).
  const belowK = release({ plan, groups: groupsOf(4, n), publicKeys: [undefined] }, source);
  t.equal(belowK.released, 0);
  t.equal(belowK.suppressed, n);

  // Without the floor, k - 1 units would pass with P(Z >= 7) = 0.0188 <= delta: the noise alone.
  let passes = 0;
  for (let i = 0; i < n; i++) if (4n + sampleDiscreteLaplace(b, source) >= 11n) passes += 1;
  const rate = discreteLaplaceTail(7, b);
  t.ok(Math.abs(passes - n * rate) < Z_1E6 * Math.sqrt(n * rate * (1 - rate)), `${passes}`);
  t.ok(passes / n <= 0.05);

  // Far above tau (41 units): misses need Z <= -31, probability p^31 / (1 + p) = 1.15e-7 per
  // group, 4.6e-3 expected over n; three or more misses have probability 1.6e-8 (a bound
  // of n - 1 would fail by chance with probability 1.1e-5, above the 1e-6 stated).
  const farAbove = release({ plan, groups: groupsOf(41, n), publicKeys: [undefined] }, source);
  t.ok(farAbove.released >= n - 2, `${farAbove.released} of ${n}`);
});

t.test('with m = 2 each group crosses at rate <= delta / m', async (t) => {
  const plan = planQuery({
    aggregates: [{ fn: 'count', alias: 'n' }],
    epsilon: 1,
    delta: 0.05,
    k: 5,
    maxContributions: 2,
    needsSelection: true,
  });
  // Two mechanisms (selection, rows) at 0.5 each; b = 2 / 0.5 = 4 and tau = 18 as above.
  t.equal(plan.selection!.tau, 18);
  const n = 40_000;
  const atK = release(
    { plan, groups: groupsOf(5, n), publicKeys: [undefined] },
    seededSource('m2'),
  );
  const exact = discreteLaplaceTail(13, plan.mechanisms[0]!.scale);
  t.ok(exact <= 0.025);
  const sd = Math.sqrt(n * exact * (1 - exact));
  t.ok(Math.abs(atK.released - n * exact) < Z_1E6 * sd, `${atK.released} ~ ${n * exact}`);
});
