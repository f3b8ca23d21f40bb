import t from 'tap';
import { VeilError } from '../../src/errors/registry.js';
import { periodKey } from '../../src/ledger/period.js';
import { openStore } from '../../src/ledger/store.js';
import { freshStore, request } from './fixtures/store.js';

function refusal(err: unknown): VeilError {
  if (!(err instanceof VeilError)) throw err;
  return err;
}

t.test('periodKey names the UTC year, month or the single all-time period', async (t) => {
  const now = new Date('2026-12-31T23:30:00Z');
  t.equal(periodKey('year', now), '2026');
  t.equal(periodKey('month', now), '2026-12');
  t.equal(periodKey('month', new Date('2026-03-01T00:00:00Z')), '2026-03');
  t.equal(periodKey('all', now), 'all');
});

t.test('1,000 concurrent reservations: exactly the 10 that fit succeed', async (t) => {
  const { store } = await freshStore(t);
  const limits = { buyer: { epsilon: 10, delta: 1e-5 }, dataset: { epsilon: 10, delta: 1e-5 } };
  const results = await Promise.allSettled(
    Array.from({ length: 1000 }, (_, i) => store.ledger.reserve(request(`q${i}`, 1, { limits }))),
  );
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r) => r.status === 'rejected');
  t.equal(won.length, 10);
  t.equal(lost.length, 990);
  t.ok(lost.every((r) => refusal(r.reason).code === 'VEIL_BUDGET_EXHAUSTED'));
  t.same(await store.ledger.spent({ buyer: 'alice', dataset: 'floods', period: '2026' }), {
    epsilon: 10,
    delta: 0,
  });
  t.same(await store.ledger.spent({ dataset: 'floods', period: '2026' }), {
    epsilon: 10,
    delta: 0,
  });
});

t.test(
  'ten charges of 0.1 fit a limit of 1.0 despite rounding, the eleventh does not',
  async (t) => {
    const { store } = await freshStore(t);
    const limits = { buyer: { epsilon: 1, delta: 0 }, dataset: { epsilon: 1, delta: 0 } };
    for (let i = 0; i < 10; i++) await store.ledger.reserve(request(`q${i}`, 0.1, { limits }));
    const err = refusal(
      await store.ledger.reserve(request('q10', 0.1, { limits })).catch((e) => e),
    );
    t.equal(err.code, 'VEIL_BUDGET_EXHAUSTED');
    t.equal(err.status, 429);
    t.match(err.detail, { budget: 'buyer', resource: 'epsilon', limit: 1, cost: 0.1 });
    t.ok(Math.abs((err.detail.spent as number) - 1) < 1e-12);
  },
);

t.test('the dataset-wide cap binds across buyers', async (t) => {
  const { store } = await freshStore(t);
  const limits = { buyer: { epsilon: 2, delta: 1e-5 }, dataset: { epsilon: 3, delta: 1e-5 } };
  const alice = (id: string) => request(id, 1, { buyer: 'alice', limits });
  const bob = (id: string) => request(id, 1, { buyer: 'bob', limits });
  await store.ledger.reserve(alice('a1'));
  await store.ledger.reserve(alice('a2'));
  const aliceErr = refusal(await store.ledger.reserve(alice('a3')).catch((e) => e));
  t.match(aliceErr.detail, { budget: 'buyer', spent: 2, limit: 2, cost: 1 });
  t.match(aliceErr.message, /buyer "alice"'s budget for dataset "floods" in period 2026/);
  await store.ledger.reserve(bob('b1'));
  const bobErr = refusal(await store.ledger.reserve(bob('b2')).catch((e) => e));
  t.match(bobErr.detail, { budget: 'dataset', spent: 3, limit: 3, cost: 1 });
  t.match(bobErr.message, /dataset-wide budget/);
  t.same(await store.ledger.spent({ buyer: 'bob', dataset: 'floods', period: '2026' }), {
    epsilon: 1,
    delta: 0,
  });
  await store.ledger.reserve(request('c1', 1, { buyer: 'carol', period: '2027', limits }));
  t.same(await store.ledger.spent({ dataset: 'floods', period: '2027' }), { epsilon: 1, delta: 0 });
});

t.test('two buyers racing for the last of the dataset budget never overspend it', async (t) => {
  const { store } = await freshStore(t);
  const limits = { buyer: { epsilon: 5, delta: 1e-5 }, dataset: { epsilon: 7, delta: 1e-5 } };
  const calls = Array.from({ length: 200 }, (_, i) =>
    store.ledger.reserve(request(`q${i}`, 1, { buyer: i % 2 ? 'bob' : 'alice', limits })),
  );
  const won = (await Promise.allSettled(calls)).filter((r) => r.status === 'fulfilled');
  t.equal(won.length, 7);
  const rows = [
    await store.ledger.spent({ buyer: 'alice', dataset: 'floods', period: '2026' }),
    await store.ledger.spent({ buyer: 'bob', dataset: 'floods', period: '2026' }),
  ];
  t.equal(rows[0]!.epsilon + rows[1]!.epsilon, 7);
  t.ok(rows.every((r) => r.epsilon <= 5));
});

t.test('delta is budgeted like epsilon', async (t) => {
  const { store } = await freshStore(t);
  const limits = { buyer: { epsilon: 10, delta: 2e-6 }, dataset: { epsilon: 10, delta: 1 - 1e-9 } };
  await store.ledger.reserve(request('q1', 1, { delta: 1e-6, limits }));
  await store.ledger.reserve(request('q2', 1, { delta: 1e-6, limits }));
  const err = refusal(
    await store.ledger.reserve(request('q3', 1, { delta: 1e-6, limits })).catch((e) => e),
  );
  t.match(err.detail, { budget: 'buyer', resource: 'delta', limit: 2e-6, cost: 1e-6 });
  await store.ledger.reserve(request('q4', 1, { delta: 0, limits }));
});

t.test('an explicit grant replaces the caller-supplied buyer limit', async (t) => {
  const { store } = await freshStore(t);
  await store.ledger.grant({
    buyer: 'alice',
    dataset: 'floods',
    period: '2026',
    epsilon: 3,
    delta: 1e-5,
  });
  for (const id of ['q1', 'q2', 'q3']) await store.ledger.reserve(request(id, 1));
  const err = refusal(await store.ledger.reserve(request('q4', 1)).catch((e) => e));
  t.match(err.detail, { budget: 'buyer', limit: 3 });
  await store.ledger.reserve(request('other-period', 5, { period: '2027' }));
  await store.ledger.grant({
    buyer: 'alice',
    dataset: 'floods',
    period: '2026',
    epsilon: 4,
    delta: 1e-5,
  });
  await store.ledger.reserve(request('q5', 1));
});

t.test('charges move reserved -> charged or reserved -> released, and nothing else', async (t) => {
  const { store } = await freshStore(t, { now: () => new Date('2026-05-01T00:00:00Z') });
  const reserved = await store.ledger.reserve(request('q1', 2));
  t.match(reserved, {
    id: 'q1',
    status: 'reserved',
    epsilon: 2,
    createdAt: '2026-05-01T00:00:00.000Z',
  });
  t.match(await store.ledger.commit('q1'), { status: 'charged', epsilon: 2 });
  for (const step of [() => store.ledger.commit('q1'), () => store.ledger.release('q1')]) {
    const err = refusal(await step().catch((e) => e));
    t.equal(err.code, 'VEIL_INTERNAL');
    t.match(err.message, /already charged/);
  }
  await store.ledger.reserve(request('q2', 3));
  t.same(await store.ledger.spent({ buyer: 'alice', dataset: 'floods', period: '2026' }), {
    epsilon: 5,
    delta: 0,
  });
  t.match(await store.ledger.release('q2'), { status: 'released' });
  t.same(await store.ledger.spent({ buyer: 'alice', dataset: 'floods', period: '2026' }), {
    epsilon: 2,
    delta: 0,
  });
  t.match(refusal(await store.ledger.commit('q2').catch((e) => e)).message, /already released/);
  t.match(refusal(await store.ledger.commit('nope').catch((e) => e)).message, /has no reservation/);
  await t.rejects(store.ledger.reserve(request('q1', 1)), RangeError);
  await t.rejects(store.ledger.reserve(request('bad', -1)), RangeError);
  await t.rejects(store.ledger.reserve(request('nan', Number.NaN)), RangeError);
});

t.test("budgets() lists a buyer's spending per dataset and period", async (t) => {
  const { store } = await freshStore(t);
  await store.ledger.reserve(request('a', 1, { delta: 1e-6 }));
  await store.ledger.reserve(request('b', 2, { period: '2027' }));
  await store.ledger.reserve(request('c', 0.5, { dataset: 'calls' }));
  await store.ledger.reserve(request('d', 4, { dataset: 'calls' }));
  await store.ledger.release('d');
  await store.ledger.reserve(request('e', 7, { buyer: 'bob' }));
  t.same(await store.ledger.budgets('alice'), [
    { dataset: 'calls', period: '2026', epsilonSpent: 0.5, deltaSpent: 0 },
    { dataset: 'floods', period: '2026', epsilonSpent: 1, deltaSpent: 1e-6 },
    { dataset: 'floods', period: '2027', epsilonSpent: 2, deltaSpent: 0 },
  ]);
  t.same(await store.ledger.budgets('nobody'), []);
});

t.test('recoverReservations releases what a crash left reserved, and logs it', async (t) => {
  const { store, dir } = await freshStore(t);
  await store.ledger.reserve(request('done', 1));
  await store.commitWithAudit('done', { requestId: 'r1', route: '/v1/query', status: 200 });
  await store.ledger.reserve(request('refused', 1));
  await store.releaseWithAudit('refused', { outcome: 'error', code: 'VEIL_ENCLAVE_FAILED' });
  await store.ledger.reserve(request('open1', 2));
  await store.ledger.reserve(request('open2', 3, { buyer: 'bob' }));
  await store.close();

  const again = await openStore(dir);
  t.teardown(() => again.close());
  t.same(await again.ledger.spent({ dataset: 'floods', period: '2026' }), { epsilon: 6, delta: 0 });
  t.same((await again.recoverReservations()).sort(), ['open1', 'open2']);
  t.same(await again.recoverReservations(), []);
  t.same(await again.ledger.spent({ dataset: 'floods', period: '2026' }), { epsilon: 1, delta: 0 });
  const recovered = await again.audit.list({ outcome: 'recovered' });
  t.same(recovered.entries.map((e) => [e.queryId, e.buyer, e.epsilon]).sort(), [
    ['open1', 'alice', 0],
    ['open2', 'bob', 0],
  ]);
  t.same(await again.audit.verify(), { ok: true, entries: 4 });
  t.match(refusal(await again.ledger.commit('open1').catch((e) => e)).message, /already released/);
});

t.test('charges and grants survive close and reopen', async (t) => {
  const { store, dir } = await freshStore(t);
  await store.ledger.grant({
    buyer: 'alice',
    dataset: 'floods',
    period: '2026',
    epsilon: 2,
    delta: 1e-5,
  });
  await store.ledger.reserve(request('q1', 1.5));
  await store.ledger.commit('q1');
  await store.close();
  const again = await openStore(dir);
  t.teardown(() => again.close());
  t.same(await again.ledger.budgets('alice'), [
    { dataset: 'floods', period: '2026', epsilonSpent: 1.5, deltaSpent: 0 },
  ]);
  const err = refusal(await again.ledger.reserve(request('q2', 1)).catch((e) => e));
  t.match(err.detail, { budget: 'buyer', limit: 2, spent: 1.5 });
});
