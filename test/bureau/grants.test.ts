import t from 'tap';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { boroughCount, send } from './helpers.js';

/**
 * A bureau's grant, top-up or revoke changes what the next reservation
 * allows; every view of a buyer's budget (quote, catalogue, GET /v1/budget,
 * the bureau's own view) must show that limit, not the policy's, and
 * concurrent changes must compose.
 */

const nyc = 'nyc311_street_flooding';
const path = `/v1/budgets/${nyc}/acme`;

async function views(g: TestGateway, buyer: string, epsilon: number) {
  const quote = await g.call('/v1/query/quote', { token: buyer, body: boroughCount(epsilon) });
  const budget = (await g.call('/v1/budget', { token: buyer })).json.budgets.find(
    (b: any) => b.dataset === nyc,
  );
  const catalogue = (await g.call('/v1/datasets', { token: buyer })).json.datasets.find(
    (d: any) => d.id === nyc,
  ).budget;
  return { quote: quote.json, budget, catalogue };
}

t.test('quote, catalogue and budget show the granted limit', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau', 'dep');
  const buyer = g.token('buyer', 'acme');

  t.equal((await send(g, 'DELETE', path, bureau)).status, 200);
  const revoked = await views(g, buyer, 1);
  t.equal(revoked.quote.fits, false, 'a revoked buyer is told the query would not fit');
  t.same(revoked.quote.remaining.now, { epsilon: 0, delta: 0 });
  t.equal(revoked.budget.epsilonLimit, 0);
  t.equal(revoked.catalogue.epsilonLimit, 0);
  const refused = await g.call('/v1/query', { token: buyer, body: boroughCount(1) });
  t.equal(refused.status, 429, 'and it is indeed refused');

  t.equal((await send(g, 'PUT', path, bureau, { epsilon: 50, delta: 0.002 })).status, 200);
  const paid = await g.call('/v1/query', { token: buyer, body: boroughCount(2) });
  t.equal(paid.status, 200);
  t.same(paid.json.privacy.remaining, { epsilon: 48, delta: 0.002 }, 'the answer counts the grant');
  const repeat = await g.call('/v1/query', { token: buyer, body: boroughCount(2) });
  t.equal(repeat.json.privacy.epsilon, 0, 'a repeat is free');
  t.same(repeat.json.privacy.remaining, { epsilon: 48, delta: 0.002 }, 'and counts it too');
  const granted = await views(g, buyer, 1);
  t.equal(granted.quote.fits, true);
  t.same(granted.quote.remaining.now, { epsilon: 48, delta: 0.002 });
  t.same(granted.quote.remaining.after, { epsilon: 47, delta: 0.002 });
  t.match(granted.budget, { epsilonLimit: 50, epsilonSpent: 2, deltaLimit: 0.002 });
  t.match(granted.catalogue, { epsilonLimit: 50, epsilonSpent: 2 });
  const bureauView = await send(g, 'GET', path, bureau);
  t.same(bureauView.json.limit, { epsilon: 50, delta: 0.002 });

  const other = await views(g, g.token('buyer', 'zeta'), 1);
  t.equal(other.budget.epsilonLimit, 20, 'another buyer keeps the policy limit');
});

// In one process the ledger's driver is synchronous, so this passes even with the limit
// read outside the transaction; the read inside it is what keeps two gateway processes
// sharing one ledger file from losing a top-up. The test guards the audit chain of changes.
t.test('concurrent top-ups all count, each audited from the limit before it', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau', 'dep');
  const n = 12;
  const results = await Promise.all(
    Array.from({ length: n }, () => send(g, 'POST', `${path}/top-up`, bureau, { epsilon: 1 })),
  );
  t.ok(results.every((r) => r.status === 200));
  const view = await send(g, 'GET', path, bureau);
  t.equal(view.json.limit.epsilon, 20 + n, 'no top-up was lost');
  const auditor = g.token('auditor');
  const entries = await g.call(`/v1/audit/entries?buyer=dep&dataset=${nyc}`, { token: auditor });
  const changes = entries.json.entries.map((e: any) => JSON.parse(e.query));
  t.same(
    changes.map((c: any) => [c.before.epsilon, c.after.epsilon]),
    Array.from({ length: n }, (_, i) => [20 + i, 21 + i]),
    'the log chains: each change starts where the one before ended',
  );
});

t.test('a period of another shape than the policy uses is refused', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau', 'dep');
  for (const period of ['2026-03', 'all']) {
    const r = await send(g, 'PUT', path, bureau, { epsilon: 5, delta: 0.001, period });
    t.equal(r.status, 400, `${period} under yearly budgets`);
    t.equal(r.json.error.code, 'VEIL_BUDGET_GRANT_INVALID');
    t.same(r.json.error.path, ['period']);
  }
  const year = await send(g, 'PUT', path, bureau, { epsilon: 5, delta: 0.001, period: '2031' });
  t.equal(year.status, 200, 'a year is what this policy reserves against');
  t.equal(year.json.period, '2031');
});
