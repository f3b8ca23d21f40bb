import { rmSync } from 'node:fs';
import t, { type Test } from 'tap';
import { Agent, fetch } from 'undici';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { dataDir, distinctQuery, ledgerView, nyc, total } from '../fixtures/hold.js';
import { policyDir } from '../fixtures/policies.js';

const REQUESTS = 1000;

/** Sends all bodies at once over real HTTP, each with its buyer's token: statuses and codes. */
async function fire(g: TestGateway, jobs: { token: string; body: unknown }[]) {
  const agent = new Agent({ connections: 256, pipelining: 1 });
  try {
    return await Promise.all(
      jobs.map(async ({ token, body }) => {
        const res = await fetch(`${g.url}/v1/query`, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const json = (await res.json()) as { error?: { code: string } };
        return { status: res.status, code: json.error?.code };
      }),
    );
  } finally {
    await agent.close();
  }
}

async function gatewayWith(budgets: Record<string, unknown>) {
  const dir = dataDir();
  const policies = policyDir((dataset, p) => {
    if (dataset === nyc) p.budgets = { period: 'year', buyers: {}, ...budgets };
  });
  const g = await startTestGateway({
    VEIL_DATA_DIR: dir,
    VEIL_POLICY_DIR: policies,
    VEIL_RATE_LIMIT: '0',
  });
  return { g, dir, cleanup: () => rmSync(policies, { recursive: true, force: true }) };
}

/** The closing note's figures for one race: sent, answered, refused, overspend. */
function report(
  t: Test,
  race: string,
  counts: ReturnType<typeof tally>,
  charged: number,
  limit: number,
) {
  const refused = counts.exhausted + counts.other;
  const overspend = Math.max(0, Math.round((charged - limit) * 1e9) / 1e9);
  t.comment(
    `concurrency figures (${race}): sent=${REQUESTS} answered=${counts.answered} ` +
      `refused=${refused} (budget ${counts.exhausted}) charged=${charged} overspend=${overspend}`,
  );
}

function tally(results: { status: number; code?: string }[]) {
  const answered = results.filter((r) => r.status === 200).length;
  const exhausted = results.filter((r) => r.code === 'VEIL_BUDGET_EXHAUSTED').length;
  return { answered, exhausted, other: results.length - answered - exhausted };
}

t.test('1,000 concurrent queries on a budget of 10 answer exactly 10', async (t) => {
  const { g, dir, cleanup } = await gatewayWith({
    perBuyer: { epsilon: 10, delta: 0.5 },
    dataset: { epsilon: 1000, delta: 0.5 },
  });
  t.teardown(async () => {
    await g.close();
    cleanup();
  });
  const token = g.token('buyer', 'racer');
  const jobs = Array.from({ length: REQUESTS }, (_, i) => ({ token, body: distinctQuery(i) }));
  const counts = tally(await fire(g, jobs));
  t.same(counts, { answered: 10, exhausted: REQUESTS - 10, other: 0 });
  const view = await ledgerView(dir);
  const charged = view.charges.filter((c) => c.status === 'charged');
  t.equal(charged.length, 10, 'ten charges in the ledger');
  t.equal(total(charged as never, 'epsilon'), 10, 'overspend is 0: charged epsilon is the limit');
  report(t, 'one buyer, budget 10', counts, total(charged as never, 'epsilon'), 10);
  t.equal(view.charges.filter((c) => c.status === 'reserved').length, 0, 'no reservation open');
  const queries = view.entries.filter((e) => e.route === '/v1/query');
  t.equal(queries.length, REQUESTS, 'every request has its audit entry');
  t.equal(total(queries, 'epsilon'), 10, 'the audit log sums to the ledger total');
  t.same(
    new Set(queries.filter((e) => e.outcome === 'answered').map((e) => e.queryId)),
    new Set(charged.map((c) => c.id)),
    'answered entries and charges are the same queries',
  );
  t.same(view.verify, { ok: true, entries: view.entries.length });
});

t.test('two buyers racing for a dataset-wide cap of 10 get 10 between them', async (t) => {
  const { g, dir, cleanup } = await gatewayWith({
    perBuyer: { epsilon: 20, delta: 0.5 },
    dataset: { epsilon: 10, delta: 0.5 },
  });
  t.teardown(async () => {
    await g.close();
    cleanup();
  });
  const tokens = [g.token('buyer', 'racer-a'), g.token('buyer', 'racer-b')];
  const jobs = Array.from({ length: REQUESTS }, (_, i) => ({
    token: tokens[i % 2]!,
    body: distinctQuery(i),
  }));
  const counts = tally(await fire(g, jobs));
  t.same(counts, { answered: 10, exhausted: REQUESTS - 10, other: 0 });
  const view = await ledgerView(dir);
  const charged = view.charges.filter((c) => c.status === 'charged');
  t.equal(total(charged as never, 'epsilon'), 10, 'the dataset cap is not overspent');
  report(t, 'two buyers, dataset cap 10', counts, total(charged as never, 'epsilon'), 10);
  const byBuyer = new Map<string, number>();
  for (const c of charged) byBuyer.set(c.buyer, (byBuyer.get(c.buyer) ?? 0) + 1);
  t.comment(`answered per buyer: ${[...byBuyer].map(([b, n]) => `${b}=${n}`).join(' ')}`);
  const answered = view.entries.filter((e) => e.outcome === 'answered');
  t.equal(total(answered, 'epsilon'), 10, 'the audit log sums to the ledger total');
  t.same(view.verify, { ok: true, entries: view.entries.length });
});
