import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { VeilError, isVeilError } from '../../src/errors/registry.js';
import {
  closeSqlParser,
  maxSqlLength,
  sqlToChecked,
  sqlToRequest,
} from '../../src/frontend/sql/index.js';
import { loadPolicies, validatePolicy } from '../../src/policy/load.js';

const policyDir = new URL('../../policies', import.meta.url).pathname;
const policies = loadPolicies(policyDir);
const nyc = 'nyc311_street_flooding';

t.after(closeSqlParser);

/** The refusal a call ends with; fails the test when it does not refuse. */
async function refusal(p: Promise<unknown>): Promise<VeilError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isVeilError(err)) throw new Error(`expected a VeilError, got ${String(err)}`);
  return err;
}

/** The NYC policy with `created` released by month only. */
function monthOnlyPolicies() {
  const raw = parseYaml(readFileSync(`${policyDir}/${nyc}.yaml`, 'utf8')) as {
    dimensions: Record<string, Record<string, unknown>>;
  };
  raw.dimensions.created = { levels: ['month'], defaultLevel: 'month' };
  return new Map([[nyc, validatePolicy(raw, 'month-only test policy')]]);
}

t.test('a level finer than the policy allows is refused where it is written', async (t) => {
  const monthOnly = monthOnlyPolicies();
  const cases: [string, string][] = [
    [`SELECT day(created), count(*) FROM ${nyc} GROUP BY 1`, 'day('],
    [`SELECT date_trunc('day', created), count(*) FROM ${nyc} GROUP BY 1`, 'date_trunc('],
    [`SELECT week(created), count(*) FROM ${nyc} GROUP BY week(created)`, 'week('],
    [`SELECT count(*) FROM ${nyc} WHERE borough = 'BRONX' AND day(created) = '2022-12-01'`, 'day('],
  ];
  for (const [sql, at] of cases) {
    const err = await refusal(sqlToChecked(sql, monthOnly));
    t.equal(err.code, 'VEIL_QUERY_LEVEL_NOT_ALLOWED', sql);
    t.equal(err.detail.position, sql.indexOf(at), sql);
    t.match(err.message, /use one of: month/);
  }
  const ok = await sqlToChecked(
    `SELECT month(created), count(*) FROM ${nyc} GROUP BY 1`,
    monthOnly,
  );
  t.same(
    ok.groupBy.map((g) => [g.label, g.level]),
    [['created:month', 'month']],
  );
  const bundled = await sqlToChecked(cases[0]![0], policies);
  t.equal(bundled.groupBy[0]!.level, 'day', 'the bundled policy allows day');
});

t.test('positions map every part of the request to the text', async (t) => {
  const sql =
    `SELECT borough, month(created), count(*) AS n FROM ${nyc} ` +
    `WHERE zip IN ('11234', '11235') AND created >= '2022-12' ` +
    'GROUP BY 1, 2 ORDER BY n DESC LIMIT 5';
  const { request, positions } = await sqlToRequest(sql, policies);
  const at = (key: string) => sql.slice(positions[key]).slice(0, 12);
  t.equal(request.dataset, nyc);
  t.equal(at('dataset'), 'nyc311_stree');
  t.equal(at('groupBy.0'), 'borough, mon');
  t.equal(at('groupBy.1'), 'month(create');
  t.equal(at('aggregates.0'), 'count(*) AS ');
  t.equal(at('filters'), 'WHERE zip IN');
  t.equal(at('filters.0.column'), "zip IN ('112");
  t.equal(at('filters.0.values.1'), "'11235') AND");
  t.equal(at('filters.1.value'), "'2022-12' GR");
  t.equal(at('orderBy.0.column'), 'n DESC LIMIT');
  t.equal(at('limit'), '5');
});

t.test('refusals from the policy check get the position of the part they are about', async (t) => {
  const sql = `SELECT borough, sum(hours_to_close) AS s, avg(borough) FROM ${nyc} GROUP BY 1`;
  const err = await refusal(sqlToChecked(sql, policies));
  t.equal(err.code, 'VEIL_QUERY_UNKNOWN_COLUMN');
  t.same(err.detail.path, ['aggregates', 1, 'column']);
  t.equal(err.detail.position, sql.indexOf('borough)'));
});

t.test('epsilon comes from the body and is checked there', async (t) => {
  const sql = `SELECT count(*) FROM ${nyc}`;
  const { epsilon } = policies.get(nyc)!;
  t.equal((await sqlToChecked(sql, policies)).epsilon, epsilon.default, 'policy default');
  const half = epsilon.max / 2;
  t.equal((await sqlToChecked(sql, policies, { epsilon: half })).epsilon, half);
  const high = await refusal(sqlToChecked(sql, policies, { epsilon: epsilon.max * 2 }));
  t.equal(high.code, 'VEIL_QUERY_EPSILON');
  t.same(high.detail.path, ['epsilon']);
  t.equal(high.detail.position, undefined, 'not about the SQL text');
  const negative = await refusal(sqlToChecked(sql, policies, { epsilon: -1 }));
  t.equal(negative.code, 'VEIL_QUERY_INVALID');
  t.same(negative.detail.path, ['epsilon']);
});

t.test('positions count code points, not bytes or UTF-16 units', async (t) => {
  const sql = `SELECT count(*) FROM gulou_flooding WHERE community = '😀é' AND phone = '1'`;
  const err = await refusal(sqlToChecked(sql, policies));
  t.equal(err.code, 'VEIL_QUERY_IDENTIFIER');
  t.equal(err.detail.position, Array.from(sql).indexOf('p', 55));
  t.equal(err.detail.position, sql.indexOf('phone') - 1, 'one emoji is two UTF-16 units');
  const parse = await refusal(sqlToChecked(`SELECT '😀😀' FROMM ${nyc}`, policies));
  t.equal(parse.code, 'VEIL_SQL_PARSE');
  t.equal(parse.detail.position, 18, 'DuckDB reports the same unit');
});

t.test('odd texts are refused cleanly', async (t) => {
  const long = `SELECT count(*) FROM ${nyc} WHERE borough = '${'x'.repeat(maxSqlLength)}'`;
  const tooLong = await refusal(sqlToChecked(long, policies));
  t.equal(tooLong.code, 'VEIL_SQL_TOO_LONG', 'the same code as the gateway limit');
  t.equal(tooLong.status, 400);
  t.equal(tooLong.detail.position, maxSqlLength);
  const wideLong = await refusal(sqlToChecked('😀'.repeat(maxSqlLength + 1), policies));
  t.equal(wideLong.code, 'VEIL_SQL_TOO_LONG');
  t.equal(wideLong.detail.position, maxSqlLength, 'counted in code points');

  const beforeNul = `SELECT count(*) FROM ${nyc}`;
  const nul = await refusal(sqlToChecked(`${beforeNul}\u0000`, policies));
  t.equal(nul.code, 'VEIL_SQL_PARSE');
  t.equal(nul.detail.position, beforeNul.length);

  const surrogate = await refusal(sqlToChecked(`SELECT '\ud800' FROM ${nyc}`, policies));
  t.equal(surrogate.code, 'VEIL_SQL_PARSE');
  t.equal(surrogate.detail.position, 8);

  const emoji = await refusal(sqlToChecked('😀'.repeat(3000), policies));
  t.equal(emoji.code, 'VEIL_SQL_PARSE', 'DuckDB gives no JSON for this one');
  t.equal(emoji.detail.position, 0);

  const deep = `SELECT ${'('.repeat(20000)}1${')'.repeat(20000)}`;
  const nested = await refusal(sqlToChecked(deep, policies));
  t.equal(nested.code, 'VEIL_SQL_PARSE');
  t.notMatch(nested.message, /SET|max_expression_depth/, 'no advice to change DuckDB settings');

  const wide = `SELECT ${Array(3000).fill('1').join(' + ')} FROM ${nyc}`;
  t.equal((await refusal(sqlToChecked(wide, policies))).code, 'VEIL_SQL_PARSE');

  const many = `SELECT count(*) FROM ${nyc} WHERE ${Array(3000).fill("zip = '1'").join(' AND ')}`;
  const tooMany = await refusal(sqlToChecked(many, policies));
  t.equal(tooMany.code, 'VEIL_QUERY_INVALID', 'at most 16 filters');
  t.equal(tooMany.detail.position, many.indexOf('WHERE'));
});

t.test(
  'parses run one at a time on the shared parser and give each caller its own answer',
  async (t) => {
    const boroughs = ['BRONX', 'BROOKLYN', 'MANHATTAN', 'QUEENS', 'STATEN ISLAND'];
    const sqls = Array.from(
      { length: 40 },
      (_, i) => `SELECT count(*) FROM ${nyc} WHERE borough = '${boroughs[i % 5]}' LIMIT ${i + 1}`,
    );
    const out = await Promise.all(sqls.map((s) => sqlToRequest(s, policies)));
    out.forEach(({ request }, i) => {
      t.same(request.filters, [{ column: 'borough', op: 'eq', value: boroughs[i % 5] }]);
      t.equal(request.limit, i + 1);
    });
  },
);

t.test('the parser can be closed and is reopened on demand', async (t) => {
  await closeSqlParser();
  await closeSqlParser();
  const { request } = await sqlToRequest(`SELECT count(*) FROM ${nyc}`, policies);
  t.equal(request.dataset, nyc);
});

t.test('refusals are VeilErrors with a registered code', async (t) => {
  const err = await refusal(sqlToChecked('SELECT count(*) FROM nowhere', policies));
  t.ok(err instanceof VeilError);
  t.equal(err.status, 400);
  t.same(err.toBody().error.position, 21);
});

t.test('the examples in docs/sql.md are accepted as documented', async (t) => {
  const doc = readFileSync(new URL('../../docs/sql.md', import.meta.url), 'utf8');
  const block = /```sql\n([\s\S]*?)```/.exec(doc)![1]!;
  const queries = block
    .split(';')
    .map((q) => q.replace(/--.*$/gm, '').trim())
    .filter(Boolean);
  t.equal(queries.length, 5);
  for (const sql of queries) {
    const checked = await sqlToChecked(sql, policies);
    t.equal(checked.dataset, nyc, sql);
  }
  const json = JSON.parse(/```json\n([\s\S]*?)```/.exec(doc)![1]!) as unknown;
  t.same((await sqlToRequest(queries[1]!, policies)).request, json);
  const gulou = 'SELECT year(called), severity, COUNT(*) FROM gulou_flooding GROUP BY 1, 2';
  t.ok(doc.replace(/\s+/g, ' ').includes(gulou));
  t.same(
    (await sqlToChecked(gulou, policies)).groupBy.map((g) => g.label),
    ['called:year', 'severity'],
  );
  const star = await refusal(sqlToChecked(`SELECT COLUMNS('b.*') FROM ${nyc}`, policies));
  t.equal(star.code, 'VEIL_SQL_SELECT_STAR');
});

t.test('a forbidden call names every function the subset accepts', async (t) => {
  const err = await refusal(sqlToChecked(`SELECT max(hours_to_close) FROM ${nyc}`, policies));
  t.equal(err.code, 'VEIL_SQL_FORBIDDEN_FUNCTION');
  t.equal(err.detail.position, 7);
  for (const name of ['COUNT', 'SUM', 'AVG', 'MEDIAN', 'date_trunc', 'year', 'quarter', 'day']) {
    t.ok(err.message.includes(name), `the message names ${name}`);
  }
  const median = await sqlToChecked(`SELECT median(hours_to_close) FROM ${nyc}`, policies);
  t.same(
    median.aggregates.map((a) => a.fn),
    ['median'],
    'and MEDIAN is indeed accepted',
  );
});
