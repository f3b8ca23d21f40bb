import t from 'tap';
import { gridBound, planQuery } from '../../src/privacy/mechanisms.js';
import { add, equals, rational, toRational } from '../../src/privacy/rational.js';
import type { PlanAggregate, PlanInput, QueryPlan } from '../../src/privacy/types.js';

const hours = { lower: 0, upper: 72, granularity: 0.1 };

function input(aggregates: PlanAggregate[], needsSelection: boolean, epsilon = 0.5): PlanInput {
  return { aggregates, epsilon, delta: 1e-6, k: 5, maxContributions: 3, needsSelection };
}

function shareSum(plan: QueryPlan) {
  return plan.mechanisms.reduce((acc, m) => add(acc, m.epsilonExact), rational(0n));
}

t.test('a lone count: one mechanism, sensitivity m, no delta', async (t) => {
  const plan = planQuery(input([{ fn: 'count', alias: 'n' }], false));
  t.equal(plan.mechanisms.length, 1);
  const [rows] = plan.mechanisms;
  t.equal(rows!.id, 'rows');
  t.equal(rows!.sensitivity, 3n);
  t.same(rows!.scale, { num: 6n, den: 1n });
  t.equal(plan.selection, undefined);
  t.equal(plan.deltaCharged, 0);
  t.equal(plan.epsilonCharged, 0.5);
  t.same(plan.aggregates[0]!.noise, { mechanism: 'discrete_laplace', scale: 6 });
});

t.test('charged epsilon is the sum of the shares of the mechanisms that run', async (t) => {
  const cases: PlanInput[] = [
    input([{ fn: 'count', alias: 'n' }], true),
    input([{ fn: 'count_units', alias: 'u' }], true),
    input([{ fn: 'count_units', alias: 'u' }], false),
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
    input(
      [
        { fn: 'median', alias: 'med', measure: 'h', bounds: hours },
        { fn: 'p90', alias: 'top', measure: 'h', bounds: hours },
        { fn: 'avg', alias: 'a', measure: 'h', bounds: hours },
      ],
      true,
      0.9,
    ),
  ];
  for (const c of cases) {
    const plan = planQuery(c);
    t.ok(equals(shareSum(plan), plan.epsilonChargedExact));
    t.ok(equals(plan.epsilonChargedExact, toRational(c.epsilon, 'down')));
    const numeric = plan.mechanisms.reduce((acc, m) => acc + m.epsilon, 0);
    t.ok(Math.abs(numeric - plan.epsilonCharged) < 1e-9, `${numeric} vs ${plan.epsilonCharged}`);
    t.equal(plan.deltaCharged, c.needsSelection ? c.delta : 0);
    for (const m of plan.mechanisms) t.same(m.epsilonExact, plan.mechanisms[0]!.epsilonExact);
  }
});

t.test('count_units with selection reuses the selection count: one charge', async (t) => {
  const plan = planQuery(input([{ fn: 'count_units', alias: 'u' }], true));
  t.same(
    plan.mechanisms.map((m) => m.id),
    ['units'],
  );
  t.equal(plan.mechanisms[0]!.epsilon, 0.5);
  t.equal(plan.aggregates[0]!.value, plan.selection!.mechanism);
  t.match(plan.notes[0], /partition selection.*post-processing/);
  t.equal(plan.deltaCharged, 1e-6);
});

t.test('selection runs and is charged even when no count_units is asked', async (t) => {
  const plan = planQuery(input([{ fn: 'count', alias: 'n' }], true));
  t.same(
    plan.mechanisms.map((m) => [m.id, m.epsilon]),
    [
      ['units', 0.25],
      ['rows', 0.25],
    ],
  );
  t.same(plan.mechanisms[0]!.scale, { num: 12n, den: 1n });
  // b = 12: tau = 5 + 172 (see threshold.test.ts).
  t.same(plan.selection, { mechanism: 'units', k: 5, tau: 177 });
});

t.test('avg charges a sum and a count of non-NULL values', async (t) => {
  const plan = planQuery(input([{ fn: 'avg', alias: 'a', measure: 'h', bounds: hours }], false));
  t.same(
    plan.mechanisms.map((m) => [m.id, m.sensitivity, m.epsilon]),
    [
      ['sum:h', 2160n, 0.25],
      ['non_null:h', 3n, 0.25],
    ],
  );
  // Sum: 3 rows * 720 grid steps = 2160, b = 2160 / 0.25 = 8640 steps = 864 hours.
  t.same(plan.aggregates[0]!.noise, { mechanism: 'discrete_laplace', scale: 864, countScale: 12 });
  t.equal(plan.aggregates[0]!.value, 'sum:h');
  t.equal(plan.aggregates[0]!.count, 'non_null:h');
  const withSelection = planQuery(
    input([{ fn: 'avg', alias: 'a', measure: 'h', bounds: hours }], true),
  );
  t.equal(withSelection.mechanisms.length, 3);
});

t.test('sum and avg of one measure share the noisy sum', async (t) => {
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
    plan.mechanisms.map((m) => m.id),
    ['sum:h', 'non_null:h'],
  );
  t.equal(plan.notes.length, 1);
});

t.test('sum sensitivity uses max(|lower|, |upper|) on the grid', async (t) => {
  t.equal(gridBound({ lower: -50, upper: 20, granularity: 0.5 }), 100n);
  t.equal(gridBound({ lower: -3, upper: 10, granularity: 1 }), 10n);
  t.equal(gridBound({ lower: -100, upper: -5, granularity: 0.1 }), 1000n);
  t.equal(gridBound({ lower: 0, upper: 1, granularity: 0.3 }), 4n, 'ceil(10/3)');
  t.equal(gridBound({ lower: 0, upper: 150, granularity: 1 }), 150n);
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
      1,
    ),
  );
  t.equal(plan.mechanisms[0]!.sensitivity, 300n);
  t.same(plan.mechanisms[0]!.scale, { num: 300n, den: 1n });
  t.equal(plan.aggregates[0]!.noise.scale, 150, '300 steps of 0.5');
});

t.test('bad parameters are refused', async (t) => {
  t.throws(() => planQuery(input([{ fn: 'count', alias: 'n' }], false, 0)), RangeError);
  t.throws(
    () => planQuery({ ...input([{ fn: 'count', alias: 'n' }], true), delta: 0 }),
    RangeError,
  );
  t.throws(() => planQuery(input([{ fn: 'sum', alias: 's' }], false)), TypeError);
  t.throws(() => planQuery(input([], false)), RangeError);
  t.throws(
    () => planQuery({ ...input([{ fn: 'count', alias: 'n' }], false), maxContributions: 0 }),
    RangeError,
  );
});
