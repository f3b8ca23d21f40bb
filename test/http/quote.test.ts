import t from 'tap';
import { laplaceHalfWidth } from '../../src/privacy/accuracy.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';

const nyc = 'nyc311_street_flooding';
const byStatus = {
  dataset: nyc,
  groupBy: ['status'],
  aggregates: [
    { fn: 'count', as: 'n' },
    { fn: 'avg', column: 'hours_to_close' },
  ],
  epsilon: 1,
};

async function spent(g: TestGateway, token: string): Promise<number> {
  const b = await g.call('/v1/budget', { token });
  return b.json.budgets.find((x: { dataset: string }) => x.dataset === nyc)?.epsilonSpent ?? 0;
}

t.test('a quote prices a query without running or charging it', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'shopper');
  const runs = g.gw.enclave.statementsRun;
  const q = await g.call('/v1/query/quote', { token: buyer, body: byStatus });
  t.equal(q.status, 200, q.text);
  t.equal(g.gw.enclave.statementsRun, runs, 'nothing ran in the enclave');
  t.equal(await spent(g, buyer), 0, 'nothing charged');
  t.equal(q.json.epsilon, 1);
  t.equal(q.json.delta, 1e-5, 'selection on status charges delta');
  t.equal(q.json.cached, false);
  t.equal(q.json.fits, true);
  t.same(q.json.remaining, {
    now: { epsilon: 20, delta: 1e-3 },
    after: { epsilon: 19, delta: 1e-3 - 1e-5 },
  });
  t.same(q.json.partitionSelection.needed, true);
  t.same(q.json.partitionSelection.dimensions, ['status']);
  t.equal(q.json.partitionSelection.k, 5);
  t.ok(q.json.partitionSelection.tau > 5, `tau ${q.json.partitionSelection.tau} above k`);
  t.ok(q.json.intervals.avgNumerator.avg_hours_to_close > 0);

  const a = await g.call('/v1/query', { token: buyer, body: byStatus });
  t.equal(a.status, 200);
  t.equal(a.json.privacy.epsilon, q.json.epsilon, 'the query charges what the quote said');
  t.equal(a.json.privacy.delta, q.json.delta);
  t.same(a.json.intervals.halfWidth, q.json.intervals.halfWidth, 'same half-widths');
  t.equal(
    q.json.intervals.halfWidth.n,
    laplaceHalfWidth(a.json.noise.n.scale, 0.95),
    'the half-width of the noise the answer names',
  );
  t.equal(a.json.intervals.perRow.length, a.json.rows.length, 'one avg interval per row');
  for (const w of a.json.intervals.perRow) {
    t.ok(w.avg_hours_to_close > 0 && w.avg_hours_to_close <= 168, 'within the bounds range');
  }
  const again = await g.call('/v1/query/quote', { token: buyer, body: byStatus });
  t.equal(again.json.cached, true, 'the question is answered: a repeat is free');
  t.equal(again.json.epsilon, 0);
  const sqlQuote = await g.call('/v1/query/quote', {
    token: buyer,
    body: { sql: `SELECT borough, COUNT(*) FROM ${nyc} GROUP BY borough`, epsilon: 0.5 },
  });
  t.equal(sqlQuote.status, 200, sqlQuote.text);
  t.equal(sqlQuote.json.partitionSelection.needed, false, 'public keys need no selection');
  t.equal(sqlQuote.json.partitionSelection.tau, null);
  t.equal(sqlQuote.json.delta, 0);

  const auditor = await g.call('/v1/query/quote', { token: g.token('auditor'), body: byStatus });
  t.equal(auditor.status, 403);
  t.equal(auditor.json.error.code, 'VEIL_AUTH_FORBIDDEN');
  const bad = await g.call('/v1/query/quote', {
    token: buyer,
    body: { ...byStatus, epsilon: 50 },
  });
  t.equal(bad.json.error.code, 'VEIL_QUERY_EPSILON', 'a quote refuses what a query refuses');
  t.equal(g.gw.enclave.statementsRun, runs + 1, 'only the real query ran');
});

t.test('a target accuracy is turned into the smallest epsilon that reaches it', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'precise');
  const body = {
    dataset: nyc,
    groupBy: ['borough'],
    aggregates: [{ fn: 'count', as: 'n' }],
    accuracy: { aggregate: 'n', halfWidth: 5 },
  };
  const q = await g.call('/v1/query/quote', { token: buyer, body });
  t.equal(q.status, 200, q.text);
  const eps = q.json.epsilon;
  // One mechanism, sensitivity m = 2: scale 2 / eps.
  t.ok(laplaceHalfWidth(2 / eps, 0.95) <= 5, `epsilon ${eps} reaches +-5`);
  t.ok(laplaceHalfWidth(2 / (eps - 1e-6), 0.95) > 5, 'a millionth less does not');
  t.ok(q.json.intervals.halfWidth.n <= 5);
  const a = await g.call('/v1/query', { token: buyer, body });
  t.equal(a.status, 200, a.text);
  t.equal(a.json.privacy.epsilon, eps, 'the query is charged the computed epsilon');
  t.ok(a.json.intervals.halfWidth.n <= 5);

  const runs = g.gw.enclave.statementsRun;
  const far = await g.call('/v1/query', {
    token: buyer,
    body: { ...body, accuracy: { aggregate: 'n', halfWidth: 0.5 } },
  });
  t.equal(far.status, 400);
  t.equal(far.json.error.code, 'VEIL_QUERY_ACCURACY_UNREACHABLE');
  t.match(far.json.error.message, /maximum epsilon per query, 2/);
  t.equal(g.gw.enclave.statementsRun, runs, 'a refused target runs nothing');
  t.equal(await spent(g, buyer), eps, 'and charges nothing');

  const cases: [unknown, string][] = [
    [{ ...body, epsilon: 1 }, 'VEIL_QUERY_INVALID'],
    [{ ...body, accuracy: { aggregate: 'nope', halfWidth: 5 } }, 'VEIL_QUERY_INVALID'],
    [{ ...body, accuracy: { aggregate: 'n', halfWidth: -1 } }, 'VEIL_QUERY_INVALID'],
    [{ ...body, accuracy: { aggregate: 'n', halfWidth: 5, confidence: 1 } }, 'VEIL_QUERY_INVALID'],
    [
      {
        ...body,
        aggregates: [{ fn: 'avg', column: 'hours_to_close', as: 'h' }],
        accuracy: { aggregate: 'h', halfWidth: 5 },
      },
      'VEIL_QUERY_INVALID',
    ],
  ];
  for (const [b, code] of cases) {
    const r = await g.call('/v1/query', { token: buyer, body: b });
    t.equal(r.json?.error?.code, code, JSON.stringify(b));
    t.equal(r.json.error.path[0], 'accuracy');
  }
  const sql = await g.call('/v1/query/quote', {
    token: buyer,
    body: {
      sql: `SELECT borough, COUNT(*) AS n FROM ${nyc} GROUP BY borough`,
      accuracy: { aggregate: 'n', halfWidth: 5 },
    },
  });
  t.equal(sql.status, 200, sql.text);
  t.equal(sql.json.cached, true, 'the SQL form reaches the same epsilon: the same question');
  t.equal(sql.json.epsilon, 0, 'so asking it again would be free');
});
