import t from 'tap';
import { startTestGateway } from '../fixtures/gateway.js';

const nyc = 'nyc311_street_flooding';

t.test('median and p90 of hours_to_close by borough, JSON and SQL', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'quantiles');
  const body = {
    dataset: nyc,
    groupBy: ['borough'],
    aggregates: [
      { fn: 'count' },
      { fn: 'median', column: 'hours_to_close' },
      { fn: 'p90', column: 'hours_to_close', as: 'slow' },
    ],
    epsilon: 2,
  };
  const r = await g.call('/v1/query', { token: buyer, body });
  t.equal(r.status, 200, r.text);
  t.equal(r.json.privacy.epsilon, 2);
  t.ok(r.json.rows.length > 0);
  for (const row of r.json.rows) {
    for (const v of [row.median_hours_to_close, row.slow]) {
      t.ok(v >= 0 && v <= 168, `${v} in [0, 168]`);
      const steps = Math.round(v * 10);
      t.equal(Math.abs(v * 10 - steps) < 1e-9, true, `${v} on the 0.1 grid`);
      t.equal((steps - 8) % 17, 0, `${v} is a bin midpoint`);
    }
  }
  t.same(r.json.noise.median_hours_to_close.mechanism, 'exponential');
  t.equal(r.json.noise.median_hours_to_close.binWidth, 1.7);
  t.equal(r.json.intervals.halfWidth.slow, 0.85);

  const budget = await g.call('/v1/budget', { token: buyer });
  const spent = budget.json.budgets.find((b: { dataset: string }) => b.dataset === nyc);
  t.equal(spent.epsilonSpent, 2, 'charged exactly the plan');

  const sql = await g.call('/v1/query', {
    token: buyer,
    body: {
      sql: `SELECT borough, MEDIAN(hours_to_close) AS m FROM ${nyc} GROUP BY borough`,
      epsilon: 1,
    },
  });
  t.equal(sql.status, 200, sql.text);
  for (const row of sql.json.rows) t.ok(row.m >= 0 && row.m <= 168);

  const bad = await g.call('/v1/query', {
    token: buyer,
    body: { dataset: nyc, aggregates: [{ fn: 'median' }] },
  });
  t.equal(bad.status, 400);
  t.equal(bad.json.error.code, 'VEIL_QUERY_BAD_AGGREGATE');
});
