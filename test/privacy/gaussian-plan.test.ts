import t from 'tap';
import {
  discreteGaussianTail,
  discreteGaussianVariance,
} from '../../src/privacy/discrete-gaussian.js';
import {
  gaussianReleaseThreshold,
  gaussianThresholdOffset,
} from '../../src/privacy/gaussian-threshold.js';
import { l2SensitivitySquared, sigmaUp } from '../../src/privacy/gaussian-plan.js';
import { planQuery, sumOfRho } from '../../src/privacy/mechanisms.js';
import { seededSource } from '../../src/privacy/random.js';
import {
  divide,
  equals,
  multiply,
  rational,
  toNumber,
  toRational,
} from '../../src/privacy/rational.js';
import { release } from '../../src/privacy/release.js';
import type { PlanAggregate, PlanInput, TrueGroup } from '../../src/privacy/types.js';
import { bunSteinkeEpsilon, rhoFor, zcdpDelta } from '../../src/privacy/zcdp.js';
import { moments, Z_1E6 } from './stats.js';

const hours = { lower: 0, upper: 72, granularity: 0.1 };

function input(aggregates: PlanAggregate[], needsSelection: boolean, epsilon = 1): PlanInput {
  return {
    aggregates,
    epsilon,
    delta: 1e-6,
    k: 5,
    maxContributions: 3,
    needsSelection,
    mechanism: 'gaussian',
  };
}

/** δ(ρ, ε) minimized over a fine grid of α, independently of the bisection in zcdp.ts. */
function gridDelta(rho: number, epsilon: number): number {
  let best = Infinity;
  for (let i = 1; i <= 200_000; i++) {
    const alpha = 1 + i / 1000;
    const log =
      (alpha - 1) * (alpha * rho - epsilon) +
      (alpha - 1) * Math.log(alpha - 1) -
      alpha * Math.log(alpha);
    best = Math.min(best, Math.exp(log));
  }
  return best;
}

t.test('the zCDP conversion matches a grid minimization and beats Bun-Steinke', async (t) => {
  for (const [rho, epsilon] of [
    [0.0306, 1],
    [0.5, 3],
    [0.01, 0.5],
    [0.1, 2],
  ] as const) {
    const ours = zcdpDelta(rho, epsilon);
    const grid = gridDelta(rho, epsilon);
    t.ok(ours <= grid * (1 + 1e-6), `ρ ${rho}, ε ${epsilon}: ${ours} <= grid ${grid}`);
    t.ok(ours >= grid * (1 - 1e-3), `and not below it by more than the grid step`);
  }
  // At the ε Bun-Steinke gives for (ρ, δ), the tight conversion needs less than δ.
  for (const [rho, delta] of [
    [0.0306, 1e-5],
    [0.2, 1e-6],
  ] as const) {
    t.ok(zcdpDelta(rho, bunSteinkeEpsilon(rho, delta)) < delta);
  }
  t.equal(zcdpDelta(0, 1), 0);
  t.throws(() => zcdpDelta(Number.NaN, 1), RangeError);
  t.throws(() => zcdpDelta(0.1, Number.POSITIVE_INFINITY), RangeError);
});

t.test('rhoFor gives the largest ρ on the 1e-15 grid within δ', async (t) => {
  for (const [epsilon, delta] of [
    [1, 1e-5],
    [0.5, 1e-6],
    [2, 1e-3],
  ] as const) {
    const rho = rhoFor(epsilon, delta);
    t.equal(rho.den <= 10n ** 15n, true);
    t.ok(zcdpDelta(rho, epsilon) <= delta, `ρ ${toNumber(rho)} fits (${epsilon}, ${delta})`);
    const bigger = toNumber(rho) * (1 + 1e-6);
    t.ok(zcdpDelta(bigger, epsilon) > delta, 'a ρ larger by 1e-6 relative does not');
  }
  // Figure for docs/privacy.md: (ε, δ) = (1, 1e-5) gives ρ ≈ 0.03056.
  t.ok(Math.abs(toNumber(rhoFor(1, 1e-5)) - 0.030557) < 1e-5);
  t.throws(() => rhoFor(0, 1e-5), RangeError);
  t.throws(() => rhoFor(1, 0), RangeError);
});

t.test('L2 sensitivities: √m for units, m for rows, m·B for a grid sum', async (t) => {
  t.equal(l2SensitivitySquared('units', 3n, 3n), 3n);
  t.equal(l2SensitivitySquared('rows', 3n, 3n), 9n);
  t.equal(l2SensitivitySquared('non_null', 3n, 3n), 9n);
  // bounds [-50, 20] at g = 0.5: B = max(50, 20) / 0.5 = 100 steps; m = 3: L1 = 300.
  t.equal(l2SensitivitySquared('sum_grid', 300n, 3n), 90000n);
  const plan = planQuery(
    input(
      [
        {
          fn: 'sum',
          alias: 's',
          measure: 'x',
          bounds: { lower: -50, upper: 20, granularity: 0.5 },
        },
      ],
      false,
    ),
  );
  t.equal(plan.mechanisms[0]!.l2SensitivitySquared, 90000n);
});

t.test('each mechanism is ρ_i-zCDP with ρ_i = Δ₂² / 2σ², and Σρ_i fits (ε, δ)', async (t) => {
  const cases: PlanInput[] = [
    input([{ fn: 'count', alias: 'n' }], false),
    input([{ fn: 'count_units', alias: 'u' }], true),
    input([{ fn: 'avg', alias: 'a', measure: 'h', bounds: hours }], true, 0.7),
    input(
      [
        { fn: 'count', alias: 'n' },
        { fn: 'sum', alias: 's', measure: 'h', bounds: hours },
        { fn: 'avg', alias: 'a', measure: 'h', bounds: hours },
      ],
      false,
      1 / 3,
    ),
  ];
  for (const c of cases) {
    const plan = planQuery(c);
    // ε is first rounded down to a rational (1/3 -> 0.333333333), as for Laplace.
    const rho = rhoFor(toNumber(toRational(c.epsilon, 'down')), c.delta);
    t.ok(equals(plan.rhoExact!, rho), 'the plan spends exactly the ρ of (ε, δ)');
    t.ok(equals(sumOfRho(plan.mechanisms), rho), 'Σρ_i over the mechanisms that run');
    for (const mech of plan.mechanisms) {
      t.equal(mech.distribution, 'discrete_gaussian');
      const recomputed = divide(
        rational(mech.l2SensitivitySquared!),
        multiply(rational(2n), mech.sigma2!),
      );
      t.ok(equals(recomputed, mech.rho!), `${mech.id}: Δ₂²/(2σ²) equals its ρ share`);
    }
    t.ok(zcdpDelta(plan.rhoExact!, c.epsilon) <= c.delta);
    const selectionDelta = c.needsSelection ? c.delta : 0;
    t.equal(plan.deltaCharged, plan.deltaConversion! + selectionDelta);
    t.equal(plan.epsilonCharged, c.epsilon);
  }
});

t.test('avg is charged for its sum and its count; sum and avg share the sum', async (t) => {
  const plan = planQuery(
    input(
      [
        { fn: 'sum', alias: 's', measure: 'h', bounds: hours },
        { fn: 'avg', alias: 'a', measure: 'h', bounds: hours },
      ],
      false,
    ),
  );
  t.same(
    plan.mechanisms.map((m) => [m.id, m.l2SensitivitySquared]),
    [
      ['sum:h', 2160n * 2160n],
      ['non_null:h', 9n],
    ],
  );
  const share = divide(rhoFor(1, 1e-6), rational(2n));
  for (const m of plan.mechanisms) t.ok(equals(m.rho!, share));
  const avg = plan.aggregates[1]!;
  t.equal(avg.noise.mechanism, 'discrete_gaussian');
  t.ok(Math.abs(avg.noise.scale - plan.mechanisms[0]!.scaleValue * 0.1) < 1e-6);
  t.equal(avg.noise.countScale, plan.mechanisms[1]!.scaleValue);
  const used = new Set(plan.aggregates.flatMap((a) => [a.value, ...(a.count ? [a.count] : [])]));
  t.same([...used].sort(), plan.mechanisms.map((m) => m.id).sort(), 'no uncharged mechanism');
});

t.test('σ is displayed rounded up', async (t) => {
  const s = sigmaUp({ num: 2n, den: 1n });
  t.ok(toNumber(s) >= Math.SQRT2 && toNumber(s) - Math.SQRT2 < 2e-9);
  t.same(sigmaUp({ num: 49n, den: 4n }), { num: 7n, den: 2n });
});

t.test('Gaussian tau: the exact tail at t is <= δ/m, and t is near the smallest', async (t) => {
  for (const [sigma2, delta, m] of [
    [1, 1e-5, 2],
    [40, 1e-5, 2],
    [98.2, 1e-6, 3],
    [1000, 1e-6, 1],
  ] as const) {
    const off = gaussianThresholdOffset(sigma2, delta, m);
    t.ok(discreteGaussianTail(off, sigma2) <= delta / m, `σ² ${sigma2}: P(Z >= ${off}) <= δ/m`);
    let smallest = 1;
    while (discreteGaussianTail(smallest, sigma2) > delta / m) smallest += 1;
    t.ok(off - smallest <= 2, `t ${off} vs the exact smallest ${smallest}`);
  }
  t.equal(gaussianReleaseThreshold({ sigma2: 40, delta: 1e-5, m: 2, k: 5 }), 5 + 29);
  const plan = planQuery(input([{ fn: 'count_units', alias: 'u' }], true));
  const units = plan.mechanisms[0]!;
  const tau = plan.selection!.tau;
  t.ok(discreteGaussianTail(tau - 5, units.sigma2!) <= 1e-6 / 3);
});

function total(units: number): TrueGroup {
  return { keys: [], rows: units, units, measures: {} };
}

t.test('the released noise has the variance the plan charges for', async (t) => {
  // One mechanism, no groups: the released count minus the truth is one N_Z(0, σ²) draw.
  const plan = planQuery(input([{ fn: 'count', alias: 'n' }], false));
  const sigma2 = plan.mechanisms[0]!.sigma2!;
  const source = seededSource('gaussian-release-variance');
  const draws = 20_000;
  const errors = Array.from({ length: draws }, () => {
    const r = release({ plan, groups: [total(100)], publicKeys: [] }, source);
    return r.rows[0]!.values.n! - 100;
  });
  const expected = discreteGaussianVariance(sigma2);
  const { mean, variance } = moments(errors);
  t.ok(Math.abs(mean) < Z_1E6 * Math.sqrt(expected / draws), `mean ${mean}`);
  // Var of the sample variance of a Gaussian: 2σ⁴ / n; 1e-6 false-failure rate.
  t.ok(
    Math.abs(variance - expected) < Z_1E6 * expected * Math.sqrt(2 / draws),
    `variance ${variance} vs ${expected}`,
  );
});

t.test('Gaussian selection: k - 1 never released, k rarely, far above tau always', async (t) => {
  // δ = 0.05, m = 1 so that the crossing rate is measurable: P(Z >= tau - k) <= 0.05.
  const plan = planQuery({
    aggregates: [{ fn: 'count_units', alias: 'u' }],
    epsilon: 1,
    delta: 0.05,
    k: 5,
    maxContributions: 1,
    needsSelection: true,
    mechanism: 'gaussian',
  });
  const { tau, k } = plan.selection!;
  const sigma2 = plan.mechanisms[0]!.sigma2!;
  const n = 20_000;
  const groups = (units: number) =>
    Array.from({ length: n }, (_, i) => ({ keys: [`g${i}`], rows: units, units, measures: {} }));
  const source = seededSource('gaussian-selection');
  const run = (units: number) =>
    release({ plan, groups: groups(units), publicKeys: [undefined] }, source).released;
  t.equal(run(k - 1), 0, 'a group of k - 1 units is never released');
  const rate = discreteGaussianTail(tau - k, sigma2);
  t.ok(rate <= 0.05);
  const atK = run(k);
  t.ok(
    Math.abs(atK - n * rate) < Z_1E6 * Math.sqrt(n * rate * (1 - rate)),
    `k units: ${atK} released, expected ${(n * rate).toFixed(0)}`,
  );
  const far = tau + Math.ceil(10 * Math.sqrt(toNumber(sigma2)));
  t.equal(run(far), n, 'groups 10σ above tau are all released');
});
