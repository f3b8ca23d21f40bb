import { readFileSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import t from 'tap';
import { parse } from 'yaml';
import { checkQuery } from '../../src/policy/check.js';
import { validatePolicy } from '../../src/policy/load.js';
import { laplaceHalfWidth } from '../../src/privacy/accuracy.js';
import { discreteLaplaceTail } from '../../src/privacy/discrete-laplace.js';
import { planQuery } from '../../src/privacy/mechanisms.js';
import { otherRowView, releaseOther } from '../../src/privacy/other-row.js';
import { seededSource } from '../../src/privacy/random.js';
import { toNumber } from '../../src/privacy/rational.js';
import { release } from '../../src/privacy/release.js';
import { releaseThreshold } from '../../src/privacy/threshold.js';
import type { PlanInput, QueryPlan, TrueGroup } from '../../src/privacy/types.js';
import { queryRequest } from '../../src/query/request.js';
import { toTrueGroups } from '../../src/query/true-groups.js';
import { groupCode, otherStatement } from '../../src/rewrite/other.js';
import { rewrite } from '../../src/rewrite/rewrite.js';

/**
 * The row of suppressed groups (docs/privacy.md, section 5b): its plan and
 * charge, its true values computed in the enclave over the union of the
 * suppressed groups' rows (a unit in several of them counts once), its
 * release with noise, and its own floor and threshold.
 */

const hours = { lower: 0, upper: 168, granularity: 0.1 };

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    aggregates: [
      { fn: 'count', alias: 'n' },
      { fn: 'count_units', alias: 'u' },
      { fn: 'sum', alias: 'h', measure: 'hours_to_close', bounds: hours },
    ],
    epsilon: 1,
    delta: 1e-5,
    k: 5,
    maxContributions: 2,
    needsSelection: true,
    otherRow: true,
    ...overrides,
  };
}

t.test('the plan adds one mechanism, splits ε over it and δ in halves', async (t) => {
  const plan = planQuery(input());
  t.same(
    plan.mechanisms.map((m) => [m.id, Number(m.sensitivity), m.epsilon]),
    [
      ['units', 2, 0.25],
      ['rows', 2, 0.25],
      ['sum:hours_to_close', 2 * 1680, 0.25],
      ['other_units', 1, 0.25],
    ],
    'the row of suppressed groups counts each unit once: L1 = 1, one more equal share',
  );
  t.equal(toNumber(plan.epsilonChargedExact), 1, 'the shares sum to the query epsilon');
  t.equal(plan.epsilonCharged, 1);
  t.equal(plan.deltaCharged, 1e-5, 'the query delta is the policy delta, split in two');
  const sel = releaseThreshold({ epsilonSel: 0.25, delta: 5e-6, m: 2, k: 5 });
  t.equal(plan.selection!.tau, sel, 'selection: b = 2 / 0.25 = 8, δ/2 over m = 2 groups');
  const other = plan.other!;
  t.same(other, { mechanism: 'other_units', k: 5, tau: other.tau, delta: 5e-6 });
  const offset = other.tau - 5;
  t.ok(discreteLaplaceTail(offset, 4) <= 5e-6, `P(Z >= ${offset}) <= δ/2 at b = 1 / 0.25`);
  t.ok(discreteLaplaceTail(offset - 1, 4) > 5e-6, 'and t is the smallest such offset');
  t.ok(other.tau < plan.selection!.tau, 'one cell, sensitivity 1: a lower bar than a group');
  t.ok(
    plan.notes.some((n) => n.includes('suppressed groups')),
    'the plan explains the row',
  );

  const without = planQuery(input({ otherRow: false }));
  t.equal(without.mechanisms.length, 3);
  t.equal(without.other, undefined);
  t.equal(without.deltaCharged, 1e-5);
  t.throws(
    () => planQuery(input({ needsSelection: false })),
    RangeError,
    'public cells suppress nothing: the row needs selection',
  );
});

t.test('Gaussian: ρ splits over the extra mechanism, Δ₂² = 1 for its units', async (t) => {
  const plan = planQuery(input({ mechanism: 'gaussian' }));
  const units = plan.mechanisms.find((m) => m.id === 'other_units')!;
  t.equal(units.l2SensitivitySquared, 1n);
  t.equal(plan.mechanisms.find((m) => m.id === 'units')!.l2SensitivitySquared, 2n);
  const total = plan.mechanisms.reduce((acc, m) => acc + toNumber(m.rho!), 0);
  t.ok(Math.abs(total - plan.rho!) < 1e-15, 'the four ρ shares add up to the query ρ');
  t.equal(plan.deltaCharged, plan.deltaConversion! + 1e-5, 'δ_conv + δ/2 + δ/2');
  t.ok(plan.other!.tau > 5);
});

t.test('the row view gives count_units the scale of the row own mechanism', async (t) => {
  const plan = planQuery(input());
  const view = otherRowView(plan);
  t.equal(view.aggregates.find((a) => a.alias === 'u')!.noise.scale, 4);
  t.equal(plan.aggregates.find((a) => a.alias === 'u')!.noise.scale, 8);
  t.same(view.aggregates[0]!.noise, plan.aggregates[0]!.noise, 'count: the query mechanism');
});

function group(keys: (string | null)[], units: number, rows = units): TrueGroup {
  return { keys, rows, units, measures: { hours_to_close: { sumGrid: 10 * rows, nonNull: rows } } };
}

t.test('withheld groups are handed back; a group keyed like the row is merged', async (t) => {
  const plan = planQuery(input());
  const groups = [group(['big'], 1000), group(['small'], 3), group(['OTHER'], 1000)];
  const r = release(
    { plan, groups, publicKeys: [undefined], otherRowKeys: ['OTHER'] },
    seededSource('merge'),
  );
  t.same(
    r.rows.map((x) => x.keys),
    [['big']],
  );
  t.same(r.suppressedKeys, [['small'], ['OTHER']], 'below k, and the row own keys');
  const plain = release(
    { plan: planQuery(input({ otherRow: false })), groups, publicKeys: [undefined] },
    seededSource('merge'),
  );
  t.equal(plain.suppressedKeys, undefined, 'nothing is collected without the row');
});

t.test('the row is never released below k true units, whatever the noise', async (t) => {
  // ε = 100 gives the row's units a scale of 1/25: tau is k + 1, so only the floor stops it.
  const plan = planQuery(input({ epsilon: 100 }));
  t.equal(plan.other!.tau, 6);
  const random = seededSource('floor');
  let released = 0;
  for (let i = 0; i < 2000; i++) {
    if (releaseOther({ plan, group: group(['OTHER'], 4, 8) }, random)) released++;
  }
  t.equal(released, 0, 'four units (eight rows) never pass, in 2,000 draws');
  let above = 0;
  for (let i = 0; i < 2000; i++) {
    if (releaseOther({ plan, group: group(['OTHER'], 40) }, random)) above++;
  }
  // P(40 + Z < 6) = P(Z <= -34) at b = 1/25 is about e^-850: never, in practice.
  t.equal(above, 2000, 'forty units always pass');
});

const nyc = 'nyc311_street_flooding';

async function enclave(): Promise<DuckDBConnection> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`create table ${nyc} (unit_id varchar, row_rank integer, zip varchar,
    status varchar, hours_to_close double)`);
  // One big zip (400 units, one row each), released.
  await conn.run(`insert into ${nyc} select 'big' || i, 1, '10001', 'Closed', 5
    from range(400) r(i)`);
  // 150 units, each with two kept rows in two neighbouring small zips (z00..z49, six units
  // each: far below tau) and a third row, past maxContributions = 2, in a third zip.
  await conn.run(`insert into ${nyc}
    select 'u' || i, 1, 'z' || lpad(cast(i % 50 as varchar), 2, '0'), 'Closed', 2
      from range(150) r(i)
    union all
    select 'u' || i, 2, 'z' || lpad(cast((i + 1) % 50 as varchar), 2, '0'), 'Closed', 3
      from range(150) r(i)
    union all
    select 'u' || i, 3, 'z' || lpad(cast((i + 2) % 50 as varchar), 2, '0'), 'Closed', 7
      from range(150) r(i)`);
  // A NULL zip (dropped: nulls: drop) and a NaN measure (never summed).
  await conn.run(`insert into ${nyc} values ('n1', 1, NULL, 'Closed', 1),
    ('n2', 1, 'z00', 'Closed', 'NaN')`);
  return conn;
}

function nycQuery() {
  const file = new URL('../../policies/nyc311_street_flooding.yaml', import.meta.url);
  const policy = validatePolicy(parse(readFileSync(file, 'utf8')), 'nyc.yaml');
  const body = {
    dataset: nyc,
    groupBy: ['zip'],
    aggregates: [{ fn: 'count' }, { fn: 'count_units' }, { fn: 'sum', column: 'hours_to_close' }],
    epsilon: 1,
    other: true,
  };
  return checkQuery(queryRequest.parse(body), new Map([[nyc, policy]]));
}

function planFor(q: ReturnType<typeof nycQuery>): QueryPlan {
  const bounds = q.policy.measures.hours_to_close!;
  return planQuery({
    aggregates: q.aggregates.map((a) => ({ ...a, bounds: a.measure ? bounds : undefined })),
    epsilon: q.epsilon,
    delta: q.policy.delta,
    k: q.policy.k,
    maxContributions: q.policy.contribution.maxContributions,
    needsSelection: true,
    otherRow: true,
  });
}

t.test(
  'the enclave totals the suppressed groups once per unit, and the row is noisy',
  async (t) => {
    const conn = await enclave();
    const q = nycQuery();
    t.equal(q.otherRow, true);
    const plan = planFor(q);
    const stmt = rewrite(q);
    const rows = (await conn.runAndReadAll(stmt.sql, stmt.params as never[])).getRowsJS();
    const groups = toTrueGroups(rows, stmt);
    t.equal(groups.length, 51, 'the big zip and fifty small ones');
    const small = groups.filter((g) => g.keys[0] !== '10001');
    const perGroupUnits = small.reduce((acc, g) => acc + Number(g.units), 0);
    t.equal(perGroupUnits, 301, 'summed per group, the small zips hold 301 units');

    const r = release(
      { plan, groups, publicKeys: [undefined], otherRowKeys: ['OTHER'] },
      seededSource('enclave-release'),
    );
    t.same(
      r.rows.map((x) => x.keys),
      [['10001']],
    );
    t.equal(r.suppressedKeys!.length, 50);

    const other = otherStatement(q, r.suppressedKeys!.map(groupCode));
    t.notMatch(other.sql, /z0|z4|10001/, 'no key is spliced into the statement');
    const [truth] = toTrueGroups(
      (await conn.runAndReadAll(other.sql, other.params as never[])).getRowsJS(),
      other,
    );
    t.equal(Number(truth!.units), 151, 'distinct units over the union: 150 + n2, not 301');
    t.equal(Number(truth!.rows), 301, 'kept rows only: the third row of each unit is out');
    t.same(truth!.measures.hours_to_close, { sumGrid: 150 * 20 + 150 * 30, nonNull: 300 });
    const direct = await conn.runAndReadAll(`select count(*), count(distinct unit_id)
    from ${nyc} where row_rank <= 2 and zip is not null and zip <> '10001'`);
    t.same(direct.getRowsJS()[0]!.map(Number), [301, 151], 'the same truth, computed directly');

    const row = releaseOther(
      { plan, group: { ...truth!, keys: ['OTHER'] } },
      seededSource('enclave-other'),
    );
    t.ok(row, 'released: 151 units, far above its tau');
    t.same(row!.keys, ['OTHER']);
    // Each bound holds with probability 1 - 1e-6 (two-sided discrete Laplace tail).
    const view = otherRowView(plan);
    const within = (alias: string, value: number, truthValue: number, unit = 1) => {
      const scale = view.aggregates.find((a) => a.alias === alias)!.noise.scale / unit;
      const h = laplaceHalfWidth(scale, 1 - 1e-6) * unit;
      t.ok(Math.abs(value - truthValue) <= h, `${alias}: ${value} within ${h} of ${truthValue}`);
    };
    within('count', row!.values.count!, 301);
    within('count_units', row!.values.count_units!, 151);
    within('sum_hours_to_close', row!.values.sum_hours_to_close!, 750, 0.1);
    t.not(row!.values.count, 301, 'with noise (seeded: this draw is not 0)');
  },
);

t.test('groups of 8 units in all but 4 distinct: the row stays withheld', async (t) => {
  const conn = await enclave();
  // Four units, each with one kept row in zip a and one in zip b: 4 + 4 per group, 4 in all.
  await conn.run(`insert into ${nyc} select 'x' || i, 1, 'a', 'Closed', 1 from range(4) r(i)
    union all select 'x' || i, 2, 'b', 'Closed', 1 from range(4) r(i)`);
  const q = nycQuery();
  const plan = planFor(q);
  const stmt = otherStatement(q, [groupCode(['a']), groupCode(['b'])]);
  const [truth] = toTrueGroups(
    (await conn.runAndReadAll(stmt.sql, stmt.params as never[])).getRowsJS(),
    stmt,
  );
  t.equal(Number(truth!.rows), 8);
  t.equal(Number(truth!.units), 4, 'four distinct units, below k = 5');
  const random = seededSource('withheld');
  let released = 0;
  for (let i = 0; i < 500; i++) {
    if (releaseOther({ plan, group: { ...truth!, keys: ['OTHER'] } }, random)) released++;
  }
  t.equal(released, 0, '500 releases: none (the k floor on distinct units, not on rows)');
});

t.test('keys are coded without ambiguity, NULL apart from any string', async (t) => {
  t.equal(groupCode(['a', 'b']), 'v1:av1:b');
  t.not(groupCode(['ab', '']), groupCode(['a', 'b']));
  t.not(groupCode([null]), groupCode(['n']));
  t.equal(groupCode(['é']), 'v2:é', 'the length is in UTF-8 bytes, as strlen counts');
  const conn = await enclave();
  const rows = await conn.runAndReadAll(
    `select (case when k is null then 'n' else 'v' || cast(strlen(k) as varchar) || ':' || k end)
     from (values ('é'), (NULL), ('a:b')) v(k)`,
  );
  t.same(
    rows.getRowsJS().map((r) => r[0]),
    [groupCode(['é']), groupCode([null]), groupCode(['a:b'])],
  );
});
