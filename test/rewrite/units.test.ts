import t from 'tap';
import { fileURLToPath } from 'node:url';
import { loadPolicies } from '../../src/policy/load.js';
import { checkQuery } from '../../src/policy/check.js';
import { queryRequest } from '../../src/query/request.js';
import { rewrite } from '../../src/rewrite/rewrite.js';

const policies = loadPolicies(fileURLToPath(new URL('../../policies', import.meta.url)));
const checked = (body: object) => checkQuery(queryRequest.parse(body), policies);

t.test('the distinct-unit count is computed only when asked for', async (t) => {
  const q = checked({
    dataset: 'gulou_flooding',
    groupBy: ['street_office', 'severity'],
    aggregates: [{ fn: 'avg', column: 'depth_cm' }],
  });
  const withUnits = rewrite(q);
  const without = rewrite(q, { units: false });
  t.match(withUnits.sql, /count\(distinct "?unit_id"?\) as "units"/);
  t.notMatch(without.sql, /distinct/i);
  t.match(without.sql, /0 as "units"/);
  t.same(without.params, withUnits.params, 'same bound values either way');
  t.equal(without.keyColumns, 2);
  t.same(without.measures, ['depth_cm'], 'result columns keep their places');
});

t.test('a count_units answer on public keys still counts distinct units', async (t) => {
  const { startTestGateway } = await import('../fixtures/gateway.js');
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const res = await g.call('/v1/query', {
    token: g.token('buyer'),
    body: { dataset: 'gulou_flooding', groupBy: ['severity'], aggregates: [{ fn: 'count_units' }] },
  });
  t.equal(res.status, 200);
  const truth = await g.gw.enclave.rawForTest(
    `SELECT severity, count(DISTINCT unit_id) FROM gulou_flooding
     WHERE row_rank <= 2 AND severity IS NOT NULL GROUP BY severity`,
  );
  t.equal(truth.length, 3);
  // One mechanism at epsilon 1 and m = 2: scale 2, so |noise| >= 40 has
  // probability about 2·exp(-20) < 1e-8 per group.
  for (const [severity, units] of truth) {
    const row = (res.json.rows as Record<string, unknown>[]).find((r) => r.severity === severity)!;
    t.ok(
      Math.abs(Number(row.count_units) - Number(units)) < 40,
      `${String(severity)} near its truth`,
    );
    t.ok(Number(units) > 100, 'a count far from the zero a skipped count would give');
  }
});
