import t from 'tap';
import { planQuery } from '../../src/privacy/mechanisms.js';
import { seededSource } from '../../src/privacy/random.js';
import { keyProduct, release } from '../../src/privacy/release.js';
import type { PlanAggregate, TrueGroup } from '../../src/privacy/types.js';

const hours = { lower: 0, upper: 72, granularity: 0.1 };
const aggregates: PlanAggregate[] = [
  { fn: 'count', alias: 'n' },
  { fn: 'count_units', alias: 'u' },
  { fn: 'sum', alias: 'total', measure: 'h', bounds: hours },
  { fn: 'avg', alias: 'mean', measure: 'h', bounds: hours },
];

function plan(needsSelection: boolean, epsilon = 1, delta = 1e-6) {
  return planQuery({ aggregates, epsilon, delta, k: 5, maxContributions: 3, needsSelection });
}

function group(keys: (string | null)[], units: number, nonNull = units): TrueGroup {
  return {
    keys,
    rows: units * 2,
    units,
    measures: { h: { sumGrid: BigInt(units) * 123n, nonNull } },
  };
}

t.test('public keys: every combination appears, empty ones too, in list order', async (t) => {
  const result = release(
    {
      plan: plan(false),
      groups: [
        group(['severe', '2020'], 40),
        group(['mild', '2019'], 7),
        group(['extreme', '2019'], 9),
      ],
      publicKeys: [
        ['mild', 'moderate', 'severe'],
        ['2019', '2020'],
      ],
    },
    seededSource('public'),
  );
  t.same(
    result.rows.map((r) => r.keys),
    [
      ['mild', '2019'],
      ['mild', '2020'],
      ['moderate', '2019'],
      ['moderate', '2020'],
      ['severe', '2019'],
      ['severe', '2020'],
    ],
  );
  t.equal(result.released, 6);
  t.equal(result.suppressed, 1, 'the unlisted key "extreme" is dropped');
  for (const row of result.rows) {
    t.same(Object.keys(row.values), ['n', 'u', 'total', 'mean']);
    t.ok(Number.isInteger(row.values.n) && Number.isInteger(row.values.u));
    t.ok(row.values.mean! >= 0 && row.values.mean! <= 72);
  }
});

t.test('public keys: a NULL key is released when the list holds null', async (t) => {
  const result = release(
    { plan: plan(false), groups: [group([null], 30)], publicKeys: [[null, 'a']] },
    seededSource('public-null'),
  );
  t.same(
    result.rows.map((r) => r.keys),
    [[null], ['a']],
  );
  t.equal(result.suppressed, 0);
});

t.test('no keys at all: the single total is always released', async (t) => {
  const result = release({ plan: plan(false), groups: [], publicKeys: [] }, seededSource('total'));
  t.same(
    result.rows.map((r) => r.keys),
    [[]],
  );
});

t.test('selection: no group with fewer than k units, even when tau is k', async (t) => {
  // delta 0.9 makes t = 0 so tau = k = 5: without the floor 4 units would pass 38% of the time.
  const loose = planQuery({
    aggregates: [{ fn: 'count_units', alias: 'u' }],
    epsilon: 0.5,
    delta: 0.9,
    k: 5,
    maxContributions: 1,
    needsSelection: true,
  });
  t.equal(loose.selection!.tau, 5);
  const groups = Array.from({ length: 500 }, (_, i) => group([`g${i}`], i % 5));
  const result = release({ plan: loose, groups, publicKeys: [undefined] }, seededSource('floor'));
  t.equal(result.released, 0);
  t.equal(result.suppressed, 500);
});

t.test('selection: big groups pass, values are noisy and on the grid', async (t) => {
  const p = plan(true);
  const groups = [
    group(['a'], 2000),
    group([null], 3000),
    group(['tiny'], 2),
    group(['b'], 1000, 0),
  ];
  const result = release({ plan: p, groups, publicKeys: [undefined] }, seededSource('sel'));
  t.same(
    result.rows.map((r) => r.keys),
    [[null], ['a'], ['b']],
    'the NULL key passes through as a group keyed null, sorted first',
  );
  t.equal(result.suppressed, 1);
  const a = result.rows.find((r) => r.keys[0] === 'a')!;
  for (const row of result.rows) {
    t.ok(row.values.u! >= p.selection!.tau, 'count_units is the noisy selection count');
    const total = row.values.total!;
    t.equal(Number(total.toFixed(1)), total, 'sums carry no digits beyond the grid');
    t.notMatch(String(total), /\.\d{2,}/);
    t.ok(row.values.mean! >= 0 && row.values.mean! <= 72, 'avg is clamped into the bounds');
  }
  // 2000 units, b = 12 (epsilon 1 over 4 mechanisms, m = 3): |noise| < 400 w.p. > 1 - 1e-14.
  t.ok(Math.abs(a.values.u! - 2000) < 400);
  // Mean 12.3 over ~2000 values: an error of 10 needs |sum noise| > 20000 h, P < exp(-23) < 1e-9.
  t.ok(Math.abs(a.values.mean! - 12.3) < 10);
  // The sum: sensitivity 3 * 720 = 2160 steps, b = 2160 / 0.25 = 8640 steps = 864 hours.
  t.same(result.noise.total, { mechanism: 'discrete_laplace', scale: 864 });
  t.same(result.noise.mean, { mechanism: 'discrete_laplace', scale: 864, countScale: 12 });
  t.same(result.noise.n, { mechanism: 'discrete_laplace', scale: 12 });
});

t.test('selected rows come in key order, whatever order the enclave used', async (t) => {
  // DuckDB returns groups in the order of their first stored row: a fact about
  // the records. The released order must depend on the released keys only.
  const keys = [
    ['b', 'y'],
    ['a', 'z'],
    [null, 'x'],
    ['a', null],
    ['c', 'x'],
  ];
  const groups = keys.map((k) => group(k, 2000));
  const sorted = [
    [null, 'x'],
    ['a', null],
    ['a', 'z'],
    ['b', 'y'],
    ['c', 'x'],
  ];
  for (const order of [groups, [...groups].reverse(), [groups[2]!, groups[4]!, ...groups]]) {
    const unique = [...new Map(order.map((g) => [JSON.stringify(g.keys), g])).values()];
    const result = release(
      { plan: plan(true), groups: unique, publicKeys: [undefined, undefined] },
      seededSource('order'),
    );
    t.same(
      result.rows.map((r) => r.keys),
      sorted,
    );
  }
});

t.test('unlisted keys of a public column are dropped in the selection case too', async (t) => {
  const result = release(
    {
      plan: plan(true),
      groups: [group(['x', 'mild'], 2000), group(['y', 'extreme'], 2000)],
      publicKeys: [undefined, ['mild', 'severe']],
    },
    seededSource('mixed'),
  );
  t.same(
    result.rows.map((r) => r.keys),
    [['x', 'mild']],
  );
  t.equal(result.suppressed, 1);
});

t.test(
  'selection with public columns (a filter narrowed the query) thresholds, no fill',
  async (t) => {
    const result = release(
      {
        plan: plan(true),
        groups: [group(['a'], 900), group(['b'], 3)],
        publicKeys: [['a', 'b', 'c']],
      },
      seededSource('filtered'),
    );
    t.same(
      result.rows.map((r) => r.keys),
      [['a']],
    );
    t.equal(result.suppressed, 1);
  },
);

t.test(
  'selection without grouping: the total passes the threshold or nothing is released',
  async (t) => {
    const big = release(
      { plan: plan(true), groups: [group([], 900)], publicKeys: [] },
      seededSource('total-big'),
    );
    t.same(
      big.rows.map((r) => r.keys),
      [[]],
    );
    const small = release(
      { plan: plan(true), groups: [group([], 4)], publicKeys: [] },
      seededSource('total-small'),
    );
    t.same(small.rows, []);
    t.equal(small.suppressed, 1);
  },
);

t.test('the same seed gives the same answer', async (t) => {
  const run = () =>
    release(
      { plan: plan(true), groups: [group(['a'], 900)], publicKeys: [undefined] },
      seededSource('same'),
    );
  t.same(run(), run());
});

t.test('inconsistent inputs are refused', async (t) => {
  const groups = [group(['a'], 900)];
  t.throws(() => release({ plan: plan(false), groups, publicKeys: [undefined] }), RangeError);
  t.throws(() => release({ plan: plan(true), groups, publicKeys: [] }), RangeError);
  t.throws(
    () => release({ plan: plan(true), groups: [...groups, ...groups], publicKeys: [undefined] }),
    RangeError,
  );
  const fractional = [{ ...group(['a'], 900), rows: 1.5 }];
  t.throws(() => release({ plan: plan(true), groups: fractional, publicKeys: [undefined] }));
});

t.test('keyProduct enumerates the first column slowest', async (t) => {
  t.same(
    keyProduct([
      ['a', 'b'],
      [null, 'y'],
    ]),
    [
      ['a', null],
      ['a', 'y'],
      ['b', null],
      ['b', 'y'],
    ],
  );
  t.same(keyProduct([]), [[]]);
  t.same(keyProduct([['a'], []]), []);
});
