import { readFileSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import t from 'tap';
import { parse } from 'yaml';
import { checkQuery } from '../../src/policy/check.js';
import { PolicyFileError, validatePolicy, type LoadedPolicy } from '../../src/policy/load.js';
import { gridBound, planQuery } from '../../src/privacy/mechanisms.js';
import { seededSource } from '../../src/privacy/random.js';
import { release } from '../../src/privacy/release.js';
import type { TrueGroup } from '../../src/privacy/types.js';
import { queryRequest } from '../../src/query/request.js';
import { rewrite } from '../../src/rewrite/rewrite.js';

/**
 * The "cases to pass", found in public bug reports on peer systems,
 * each with invented values: bad numbers refused, non-finite data never
 * summed, empty inputs well-formed, NULL keys kept apart, clamped values
 * used, and sum sensitivity from max(|lower|, |upper|).
 */

const nycFile = new URL('../../policies/nyc311_street_flooding.yaml', import.meta.url);

function nycPolicy(change: (p: Record<string, any>) => void = () => {}): LoadedPolicy {
  const raw = parse(readFileSync(nycFile, 'utf8')) as Record<string, any>;
  change(raw);
  return validatePolicy(raw, 'test.yaml');
}

/** The problem lines of a refused policy, or undefined if it was accepted. */
function problems(change: (p: Record<string, any>) => void): string[] | undefined {
  try {
    nycPolicy(change);
    return undefined;
  } catch (err) {
    if (err instanceof PolicyFileError) return err.problems;
    throw err;
  }
}

t.test('NaN, Infinity, huge and negative numbers in a policy are refused', async (t) => {
  const m = (p: Record<string, any>) => p.measures.hours_to_close;
  const refused = (t: { ok(v: boolean, msg: string): void }, c: (p: any) => void, key: RegExp) =>
    t.ok(problems(c)?.some((line) => key.test(line)) === true, `refused: ${key.source}`);
  refused(t, (p) => (m(p).lower = Number.NaN), /hours_to_close\.lower/);
  refused(t, (p) => (m(p).upper = Number.POSITIVE_INFINITY), /hours_to_close\.upper/);
  refused(t, (p) => (m(p).upper = 1e300), /granularity: bounds divided by granularity/);
  refused(t, (p) => (m(p).granularity = -0.1), /granularity/);
  refused(t, (p) => ((m(p).lower = 5), (m(p).upper = -5)), /lower must be below upper/);
  refused(t, (p) => (p.epsilon.default = -1), /epsilon\.default/);
  refused(t, (p) => (p.epsilon.max = Number.NaN), /epsilon\.max/);
  refused(t, (p) => (p.epsilon.max = Number.POSITIVE_INFINITY), /epsilon\.max/);
  // Huge but finite: a noise scale of m/1e300 makes every draw 0, an exact release.
  refused(
    t,
    (p) => ((p.epsilon.max = 1e300), (p.budgets.perBuyer.epsilon = 1e301)),
    /epsilon\.max/,
  );
  refused(t, (p) => (p.epsilon.max = 101), /epsilon\.max/);
  refused(t, (p) => (p.epsilon.default = 1e-4), /epsilon\.default/);
  t.equal(nycPolicy((p) => ((p.epsilon.max = 20), (p.epsilon.default = 0.001))).epsilon.max, 20);
  refused(t, (p) => (p.delta = -1e-6), /delta/);
  refused(t, (p) => (p.delta = 0.5), /delta/);
  refused(t, (p) => (p.budgets.perBuyer.epsilon = 1e309), /budgets\.perBuyer\.epsilon/);
  refused(t, (p) => (p.mechanism = 'uniform'), /mechanism/);
  t.equal(nycPolicy((p) => (p.mechanism = 'gaussian')).mechanism, 'gaussian');
  t.equal(nycPolicy().mechanism, undefined, 'absent means laplace; the version is unchanged');
});

t.test('NaN, Infinity, negative or zero epsilon in a request is refused', async (t) => {
  for (const epsilon of [Number.NaN, Number.POSITIVE_INFINITY, -1, 0, '1']) {
    const parsed = queryRequest.safeParse({
      dataset: 'nyc311_street_flooding',
      aggregates: [{ fn: 'count' }],
      epsilon,
    });
    t.equal(parsed.success, false, `epsilon ${String(epsilon)} does not parse`);
  }
  const policies = new Map([['nyc311_street_flooding', nycPolicy()]]);
  const huge = queryRequest.parse({
    dataset: 'nyc311_street_flooding',
    aggregates: [{ fn: 'count' }],
    epsilon: 1e300,
  });
  t.throws(() => checkQuery(huge, policies), { code: 'VEIL_QUERY_EPSILON' });
});

/** An in-memory table shaped like the enclave's NYC table, with the rows given. */
async function enclaveWith(rows: [string, number, string | null, number | null][]) {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(
    `create table nyc311_street_flooding (unit_id varchar, row_rank integer,
       borough varchar, created_month varchar, hours_to_close double)`,
  );
  for (const [unit, rank, borough, hours] of rows) {
    await conn.run('insert into nyc311_street_flooding values ($1, $2, $3, $4, $5)', [
      unit,
      rank,
      borough,
      '2022-12',
      hours,
    ]);
  }
  return conn;
}

async function trueGroups(
  conn: DuckDBConnection,
  policy: LoadedPolicy,
  body: Record<string, unknown>,
) {
  const q = checkQuery(
    queryRequest.parse({ dataset: 'nyc311_street_flooding', ...body }),
    new Map([['nyc311_street_flooding', policy]]),
  );
  const stmt = rewrite(q);
  const reader = await conn.runAndReadAll(stmt.sql, stmt.params as never[]);
  const n = stmt.keyColumns;
  const groups = reader.getRowsJS().map((r): TrueGroup => ({
    keys: r.slice(0, n).map((k) => (k === null ? null : String(k))),
    rows: Number(r[n]),
    units: Number(r[n + 1]),
    measures: Object.fromEntries(
      stmt.measures.map((m, i) => [
        m,
        { sumGrid: Number(r[n + 2 + 2 * i] ?? 0), nonNull: Number(r[n + 3 + 2 * i] ?? 0) },
      ]),
    ),
  }));
  return { q, groups };
}

t.test('NaN and Infinity in the data never reach a sum or a non-NULL count', async (t) => {
  const conn = await enclaveWith([
    ['a', 1, 'BRONX', 10],
    ['b', 1, 'BRONX', Number.NaN],
    ['c', 1, 'BRONX', Number.POSITIVE_INFINITY],
    ['d', 1, 'BRONX', Number.NEGATIVE_INFINITY],
    ['e', 1, 'BRONX', null],
  ]);
  const { groups } = await trueGroups(conn, nycPolicy(), {
    aggregates: [{ fn: 'sum', column: 'hours_to_close' }],
  });
  t.same(groups[0]!.measures.hours_to_close, { sumGrid: 100, nonNull: 1 }, 'only 10 h counts');
  t.equal(groups[0]!.rows, 5, 'the rows are still rows');
});

t.test('clamping: the sum uses the clamped values', async (t) => {
  const conn = await enclaveWith([
    ['a', 1, 'BRONX', -10],
    ['b', 1, 'BRONX', 50],
    ['c', 1, 'BRONX', 200],
    ['d', 1, 'BRONX', 1000],
    ['d', 3, 'BRONX', 1000],
  ]);
  const { groups } = await trueGroups(conn, nycPolicy(), {
    aggregates: [{ fn: 'avg', column: 'hours_to_close' }],
  });
  // [0, 168] at 0.1: 0 + 500 + 1680 + 1680 grid steps; row rank 3 > m = 2 is not kept.
  t.same(groups[0]!.measures.hours_to_close, { sumGrid: 3860, nonNull: 4 });
});

t.test('asymmetric negative bounds: the enclave never sums past the sensitivity', async (t) => {
  // [-50, 20] at g = 0.5: the plan assumes |a row's grid value| <= max(50, 20) / 0.5 = 100.
  const conn = await enclaveWith([
    ['a', 1, 'BRONX', -1000],
    ['b', 1, 'BRONX', 1000],
    ['c', 1, 'BRONX', -49.76],
    ['d', 1, 'BRONX', -0.3],
    ['e', 1, 'BRONX', 19.9],
  ]);
  const bounds = { lower: -50, upper: 20, granularity: 0.5 };
  const policy = nycPolicy((p) => Object.assign(p.measures.hours_to_close, bounds));
  t.equal(gridBound(bounds), 100n);
  for (const [i, expected] of [-100, 40, -100, -1, 40].entries()) {
    const one = await enclaveWith([['x', 1, 'BRONX', [-1000, 1000, -49.76, -0.3, 19.9][i]!]]);
    const { groups } = await trueGroups(one, policy, {
      aggregates: [{ fn: 'sum', column: 'hours_to_close' }],
    });
    const steps = groups[0]!.measures.hours_to_close!.sumGrid as number;
    t.equal(steps, expected, `row ${i}: ${expected} grid steps`);
    t.ok(Math.abs(steps) <= 100, 'within the bound the noise is calibrated to');
  }
  const { groups } = await trueGroups(conn, policy, {
    aggregates: [{ fn: 'sum', column: 'hours_to_close' }],
  });
  t.same(groups[0]!.measures.hours_to_close, { sumGrid: -121, nonNull: 5 }, 'clamped, then summed');
});

t.test(
  'an empty dataset or a filter matching nothing gives noisy zeros for public keys',
  async (t) => {
    const conn = await enclaveWith([['a', 1, 'BRONX', 10]]);
    const policy = nycPolicy();
    for (const filter of [
      { column: 'created:month', op: 'eq', value: '2023-01' },
      { column: 'created:month', op: 'eq', value: '2022-12' },
    ]) {
      const body = {
        groupBy: ['borough'],
        aggregates: [{ fn: 'count' }, { fn: 'avg', column: 'hours_to_close' }],
        filters: [filter],
      };
      const { q, groups } = await trueGroups(conn, policy, body);
      const plan = planQuery({
        aggregates: q.aggregates.map((a) => ({
          ...a,
          bounds: a.measure ? policy.measures[a.measure] : undefined,
        })),
        epsilon: 1,
        delta: policy.delta,
        k: policy.k,
        maxContributions: 2,
        needsSelection: false,
      });
      const result = release(
        { plan, groups, publicKeys: q.groupBy.map((g) => g.publicKeys) },
        seededSource('empty'),
      );
      t.same(
        result.rows.map((r) => r.keys[0]),
        ['BRONX', 'BROOKLYN', 'MANHATTAN', 'QUEENS', 'STATEN ISLAND'],
      );
      for (const row of result.rows) {
        t.ok(Number.isInteger(row.values.count), 'a noisy integer, never NULL');
        const avg = row.values.avg_hours_to_close!;
        t.ok(Number.isFinite(avg) && avg >= 0 && avg <= 168, `avg ${avg} finite, in bounds`);
      }
    }
    const empty = await enclaveWith([]);
    const { groups } = await trueGroups(empty, policy, { aggregates: [{ fn: 'count' }] });
    t.equal(groups.length, 1, 'an empty table still has its one total row');
    t.equal(groups[0]!.rows, 0);
  },
);

t.test('NULL keys form their own group or are dropped, as the policy says', async (t) => {
  const rows: [string, number, string | null, number | null][] = [
    ['a', 1, 'BRONX', 1],
    ['b', 1, null, 2],
    ['c', 1, null, 3],
  ];
  const conn = await enclaveWith(rows);
  const body = { groupBy: ['borough'], aggregates: [{ fn: 'count' }] };
  const dropped = await trueGroups(conn, nycPolicy(), body);
  t.same(
    dropped.groups.map((g) => [g.keys[0], g.rows]),
    [['BRONX', 1]],
    'nulls: drop (the default) removes NULL rows in the enclave',
  );
  const grouping = nycPolicy((p) => (p.dimensions.borough.nulls = 'group'));
  const grouped = await trueGroups(conn, grouping, body);
  const byKey = new Map(grouped.groups.map((g) => [g.keys[0], g.rows]));
  t.equal(byKey.get(null), 2, 'nulls: group keeps them as one NULL group');
  t.equal(byKey.get('BRONX'), 1, 'never merged into another key');
});

t.test('sum sensitivity uses max(|lower|, |upper|), for Laplace and Gaussian', async (t) => {
  for (const [lower, upper, g, steps] of [
    [-50, 20, 0.5, 100n],
    [-100, -5, 0.1, 1000n],
    [-3, 10, 1, 10n],
  ] as const) {
    t.equal(gridBound({ lower, upper, granularity: g }), steps);
    for (const mechanism of ['laplace', 'gaussian'] as const) {
      const plan = planQuery({
        aggregates: [
          { fn: 'sum', alias: 's', measure: 'x', bounds: { lower, upper, granularity: g } },
        ],
        epsilon: 1,
        delta: 1e-6,
        k: 5,
        maxContributions: 2,
        needsSelection: false,
        mechanism,
      });
      t.equal(plan.mechanisms[0]!.sensitivity, 2n * steps, `${mechanism} [${lower}, ${upper}]`);
    }
  }
});
