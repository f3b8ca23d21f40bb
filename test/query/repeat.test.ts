import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { sqlToChecked } from '../../src/frontend/sql/index.js';
import { checkQuery } from '../../src/policy/check.js';
import { loadPolicies } from '../../src/policy/load.js';
import { answerKey, normalizeQuery } from '../../src/query/normalize.js';
import { queryRequest } from '../../src/query/request.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';

const nyc = 'nyc311_street_flooding';
const policies = loadPolicies(new URL('../../policies', import.meta.url).pathname);
const scope = { buyer: 'acme', policyVersion: 'p1', dataVersion: 'd1' };

/** One question in three spellings: group, filter and IN order, aliases, IN of one, SQL. */
const first = {
  dataset: nyc,
  groupBy: ['borough', 'created:month'],
  aggregates: [
    { fn: 'count', as: 'n' },
    { fn: 'sum', column: 'hours_to_close' },
  ],
  filters: [
    { column: 'status', op: 'in', values: ['Closed'] },
    { column: 'borough', op: 'in', values: ['QUEENS', 'BRONX'] },
  ],
};
const reordered = {
  dataset: nyc,
  groupBy: ['created', 'borough:borough'],
  aggregates: [{ fn: 'sum', column: 'hours_to_close', as: 'hours' }, { fn: 'count' }],
  filters: [
    { column: 'borough', op: 'in', values: ['BRONX', 'QUEENS'] },
    { column: 'status', op: 'eq', value: 'Closed' },
  ],
  epsilon: 1,
  orderBy: [{ column: 'hours', desc: true }],
};
const sql =
  'SELECT month(created), borough, SUM(hours_to_close) AS h, COUNT(*) AS c ' +
  `FROM ${nyc} WHERE borough IN ('BRONX', 'QUEENS') AND status = 'Closed' GROUP BY ALL`;

const checked = (body: unknown) => checkQuery(queryRequest.parse(body), policies);

t.test('spellings of one question normalize to one key', async (t) => {
  const a = checked(first);
  const b = checked(reordered);
  const c = await sqlToChecked(sql, policies);
  t.same(normalizeQuery(a), {
    dataset: nyc,
    groups: ['borough:borough', 'created:month'],
    aggregates: ['count', 'sum:hours_to_close'],
    filters: [
      { column: 'borough:borough', op: 'in', values: ['BRONX', 'QUEENS'] },
      { column: 'status:status', op: 'eq', values: ['Closed'] },
    ],
    epsilon: 1,
  });
  t.equal(answerKey(b, scope), answerKey(a, scope));
  t.equal(answerKey(c, scope), answerKey(a, scope));
  const differs = (body: object) => t.not(answerKey(checked(body), scope), answerKey(a, scope));
  differs({ ...first, epsilon: 0.5 });
  differs({ ...first, filters: [first.filters[0]] });
  differs({ ...first, aggregates: [{ fn: 'count' }] });
  differs({ ...first, groupBy: ['borough', 'created:week'] });
  t.not(answerKey(a, { ...scope, buyer: 'other' }), answerKey(a, scope), 'another buyer');
  t.not(answerKey(a, { ...scope, policyVersion: 'p2' }), answerKey(a, scope), 'another policy');
  t.not(answerKey(a, { ...scope, dataVersion: 'd2' }), answerKey(a, scope), 'another data version');
});

type Row = Record<string, string | number>;
const byCell = (rows: Row[], month: string, borough: string, n: string, h: string) =>
  Object.fromEntries(rows.map((r) => [`${r[borough]}|${r[month]}`, [r[n], r[h]]]));

async function spent(g: TestGateway, token: string): Promise<number> {
  const b = await g.call('/v1/budget', { token });
  return b.json.budgets.find((x: { dataset: string }) => x.dataset === nyc)?.epsilonSpent ?? 0;
}

t.test('a repeat returns the same noisy values at no cost, across a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'veil-repeat-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let g = await startTestGateway({ VEIL_DATA_DIR: dir });
  const firstGateway = g;
  let firstClosed = false;
  t.teardown(() => (firstClosed ? undefined : firstGateway.close()));
  const buyer = g.token('buyer', 'acme');
  const one = await g.call('/v1/query', { token: buyer, body: first });
  t.equal(one.status, 200);
  t.equal(one.json.privacy.epsilon, 1);
  t.equal(one.json.cached, undefined, 'a first answer is not cached');
  t.ok(one.json.rows.length >= 2, 'groups passed the threshold (a filter on status selects)');
  const cells = byCell(one.json.rows, 'created:month', 'borough', 'n', 'sum_hours_to_close');
  const runs = g.gw.enclave.statementsRun;
  t.equal(await spent(g, buyer), 1);

  const two = await g.call('/v1/query', { token: buyer, body: reordered });
  t.equal(two.status, 200);
  t.same(Object.keys(two.json.rows[0]), ['created', 'borough:borough', 'hours', 'count']);
  t.same(byCell(two.json.rows, 'created', 'borough:borough', 'count', 'hours'), cells);
  const hours = two.json.rows.map((r: Row) => r.hours);
  t.same(
    hours,
    [...hours].sort((x, y) => y - x),
    'orderBy applies to the stored answer',
  );
  t.same(two.json.privacy.epsilon, 0);
  t.same(two.json.privacy.delta, 0);
  t.same(two.json.cached, {
    queryId: one.json.queryId,
    epsilon: 1,
    delta: one.json.privacy.delta,
  });
  t.same(two.json.noise.hours, one.json.noise.sum_hours_to_close);
  t.same(two.json.intervals.halfWidth, {
    hours: one.json.intervals.halfWidth.sum_hours_to_close,
    count: one.json.intervals.halfWidth.n,
  });

  const three = await g.call('/v1/query', { token: buyer, body: { sql } });
  t.equal(three.status, 200, three.text);
  t.same(
    byCell(three.json.rows, 'created:month', 'borough', 'c', 'h'),
    cells,
    'SQL spelling, same values',
  );
  t.equal(three.json.privacy.epsilon, 0);
  t.equal(g.gw.enclave.statementsRun, runs, 'repeats never reach the enclave');
  t.equal(await spent(g, buyer), 1, 'budget unchanged by repeats');
  t.equal(two.json.privacy.remaining.epsilon, 19);

  const audit = await g.call(`/v1/audit/entries?buyer=acme&dataset=${nyc}`, {
    token: g.token('auditor'),
  });
  const answered = audit.json.entries.filter((e: { outcome: string }) => e.outcome === 'answered');
  t.same(
    answered.map((e: { epsilon: number; cachedFrom: string | null }) => [e.epsilon, e.cachedFrom]),
    [
      [1, null],
      [0, one.json.queryId],
      [0, one.json.queryId],
    ],
  );
  t.same((await g.call('/v1/audit/verify', { token: g.token('auditor') })).json.ok, true);

  const other = await g.call('/v1/query', { token: g.token('buyer', 'globex'), body: first });
  t.equal(other.json.privacy.epsilon, 1, 'another buyer pays for its own answer');
  const cheaper = await g.call('/v1/query', { token: buyer, body: { ...first, epsilon: 0.5 } });
  t.equal(cheaper.json.privacy.epsilon, 0.5, 'another epsilon is another question');
  await g.close();
  firstClosed = true;

  g = await startTestGateway({ VEIL_DATA_DIR: dir });
  t.teardown(() => g.close());
  const before = g.gw.enclave.statementsRun;
  const after = await g.call('/v1/query', { token: g.token('buyer', 'acme'), body: first });
  t.equal(after.json.privacy.epsilon, 0, 'a restart does not reopen averaging');
  t.same(byCell(after.json.rows, 'created:month', 'borough', 'n', 'sum_hours_to_close'), cells);
  t.equal(g.gw.enclave.statementsRun, before);
  t.equal(await spent(g, g.token('buyer', 'acme')), 1.5);
});

t.test('identical concurrent questions are charged once and get one answer', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'racer');
  const body = { dataset: nyc, groupBy: ['status'], aggregates: [{ fn: 'count_units' }] };
  const answers = await Promise.all(
    Array.from({ length: 4 }, () => g.call('/v1/query', { token: buyer, body })),
  );
  t.ok(answers.every((a) => a.status === 200));
  const values = answers.map((a) => JSON.stringify(a.json.rows));
  t.equal(new Set(values).size, 1, 'every request got the same noisy rows');
  t.equal(answers.filter((a) => a.json.privacy.epsilon > 0).length, 1, 'one paid answer');
  t.equal(await spent(g, buyer), 1, 'charged once');
  const log = await g.call('/v1/audit/entries?buyer=racer', { token: g.token('auditor') });
  const paid = log.json.entries.filter((e: { epsilon: number }) => e.epsilon > 0);
  t.equal(paid.length, 1);
});
