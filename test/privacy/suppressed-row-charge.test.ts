import t from 'tap';
import { discreteGaussianVariance } from '../../src/privacy/discrete-gaussian.js';
import { discreteLaplaceVariance } from '../../src/privacy/discrete-laplace.js';
import { planQuery } from '../../src/privacy/mechanisms.js';
import { releaseOther } from '../../src/privacy/other-row.js';
import { seededSource } from '../../src/privacy/random.js';
import { toNumber } from '../../src/privacy/rational.js';
import { release } from '../../src/privacy/release.js';
import type { PlanInput, QueryPlan, TrueGroup } from '../../src/privacy/types.js';
import { checkVariance, laplaceFourthMoment } from './noise-checks.js';

/**
 * The charge of a query with the row of suppressed groups against the
 * noise really drawn, as charged-noise.test.ts does for plain queries:
 * 20,000 seeded releases of one released group and of the row, every
 * mechanism's noise measured where it ran (the selection units on the
 * group, `other_units` on the row, rows, sums and counts on both), its
 * variance held to the plan's scale, and the ε (or ρ) the measured noise
 * buys summed over the five mechanisms and compared with the charge.
 *
 * Each mean and variance check fails by chance with probability at most
 * 1e-6 (normal approximation with the distribution's own fourth moment).
 * The implied total is bounded at 5%; its standard error is below 0.5%.
 * A row drawn at another scale than its mechanism's fails its own variance
 * check: at a share of ε/4 instead of ε/5 the variance falls by 36%, more
 * than 20 standard errors of the sample variance.
 */

const DRAWS = 20_000;
const hours = { lower: 0, upper: 72, granularity: 0.1 };
const cell = (keys: string[], units: number, rows: number, sumGrid: bigint): TrueGroup => ({
  keys,
  rows,
  units,
  measures: { h: { sumGrid, nonNull: rows - 1000 } },
});
const group = cell(['g'], 1_000_000, 2_000_000, 123_456_789n);
const other = cell(['OTHER'], 700_000, 1_500_000, 98_765_432n);

function input(mechanism: PlanInput['mechanism']): PlanInput {
  return {
    aggregates: [
      { fn: 'count', alias: 'n' },
      { fn: 'count_units', alias: 'u' },
      { fn: 'sum', alias: 'total', measure: 'h', bounds: hours },
      { fn: 'avg', alias: 'mean', measure: 'h', bounds: hours },
    ],
    epsilon: 1,
    delta: 1e-6,
    k: 5,
    maxContributions: 3,
    needsSelection: true,
    otherRow: true,
    mechanism,
  };
}

type Noise = Map<string, number[]>;

/** Noise per mechanism id on the released group (`g`) and on the row (`o`). */
function measuredNoise(plan: QueryPlan, seed: string): { g: Noise; o: Noise } {
  const source = seededSource(seed);
  const ids = ['units', 'rows', 'sum:h', 'non_null:h', 'other_units'];
  const g: Noise = new Map(ids.map((id) => [id, []]));
  const o: Noise = new Map(ids.map((id) => [id, []]));
  const record = (into: Noise, row: { values: Record<string, number> }, truth: TrueGroup) => {
    const d = (row as { denominators?: Record<string, number> }).denominators!;
    into.get('rows')!.push(row.values.n! - Number(truth.rows));
    into
      .get('sum:h')!
      .push(Math.round(row.values.total! / 0.1) - Number(truth.measures.h!.sumGrid));
    into.get('non_null:h')!.push(d.mean! - Number(truth.measures.h!.nonNull));
  };
  for (let i = 0; i < DRAWS; i++) {
    const r = release(
      { plan, groups: [group], publicKeys: [undefined], otherRowKeys: ['OTHER'] },
      source,
    );
    const row = r.rows[0]!;
    g.get('units')!.push(row.values.u! - Number(group.units));
    record(g, row, group);
    const o1 = releaseOther({ plan, group: other }, source)!;
    o.get('other_units')!.push(o1.values.u! - Number(other.units));
    record(o, o1, other);
  }
  return { g, o };
}

/** Where each mechanism's noise is measured for the charge: the row's own units on the row. */
const home = (id: string) => (id === 'other_units' ? 'o' : 'g');

t.test('Laplace: five mechanisms ran, and their noise buys the ε charged', async (t) => {
  const plan = planQuery(input('laplace'));
  t.same(
    plan.mechanisms.map((m) => m.id),
    ['units', 'rows', 'sum:h', 'non_null:h', 'other_units'],
  );
  const noise = measuredNoise(plan, 'other-charge-laplace');
  let implied = 0;
  for (const mech of plan.mechanisms) {
    const expected = discreteLaplaceVariance(mech.scale);
    const fourth = laplaceFourthMoment(mech);
    const where = home(mech.id);
    const variance = checkVariance(
      t,
      `${mech.id}@${where}`,
      noise[where].get(mech.id)!,
      expected,
      fourth,
    );
    const p = 1 + 1 / variance - Math.sqrt((1 + 1 / variance) ** 2 - 1);
    implied += Number(mech.sensitivity) / (-1 / Math.log(p));
    if (mech.id !== 'units' && mech.id !== 'other_units') {
      checkVariance(t, `${mech.id}@row`, noise.o.get(mech.id)!, expected, fourth);
    }
  }
  t.ok(Math.abs(implied - plan.epsilonCharged) < 0.05, `implied ε ${implied.toFixed(4)} vs 1`);
  t.equal(toNumber(plan.epsilonChargedExact), 1);
  t.equal(plan.deltaCharged, 1e-6);
});

t.test('Gaussian: the measured noise buys the ρ behind the charge', async (t) => {
  const plan = planQuery(input('gaussian'));
  const noise = measuredNoise(plan, 'other-charge-gaussian');
  let implied = 0;
  for (const mech of plan.mechanisms) {
    const expected = discreteGaussianVariance(mech.sigma2!);
    const where = home(mech.id);
    // σ > 10 for every mechanism here: E[Z^4] is 3σ⁴ within 1e-9.
    const fourth = 3 * expected ** 2;
    const variance = checkVariance(
      t,
      `${mech.id}@${where}`,
      noise[where].get(mech.id)!,
      expected,
      fourth,
    );
    implied += Number(mech.l2SensitivitySquared!) / (2 * variance);
    if (mech.id !== 'units' && mech.id !== 'other_units') {
      checkVariance(t, `${mech.id}@row`, noise.o.get(mech.id)!, expected, fourth);
    }
  }
  const rho = plan.rho!;
  t.ok(Math.abs(implied / rho - 1) < 0.05, `implied ρ ${implied.toPrecision(6)} vs ${rho}`);
  t.equal(plan.deltaCharged, plan.deltaConversion! + 1e-6, 'δ_conv plus the two halves of δ');
});
