import t from 'tap';
import { batchedTransactions } from '../../src/ledger/batch.js';
import { freshStore } from './fixtures/store.js';

/** A step that appends a grant row for `buyer`, then fails if asked to. */
function grantStep(buyer: string, fail = false) {
  return async (trx: Parameters<Parameters<ReturnType<typeof batchedTransactions>>[0]>[0]) => {
    await trx
      .insertInto('budget_grants')
      .values({ buyer, dataset: 'floods', period: '2026', epsilon: 1, delta: 0 })
      .execute();
    if (fail) throw new Error(`step ${buyer} fails`);
    const rows = await trx.selectFrom('budget_grants').select('buyer').execute();
    return rows.map((r) => r.buyer).sort();
  };
}

t.test(
  'steps of one moment share a transaction; a failing step fails and rolls back alone',
  async (t) => {
    const { store } = await freshStore(t);
    const transact = batchedTransactions(store.db);
    const results = await Promise.allSettled([
      transact(grantStep('a')),
      transact(grantStep('b', true)),
      transact(grantStep('c')),
    ]);
    t.equal(results[0]!.status, 'fulfilled');
    t.same(
      (results[0] as PromiseFulfilledResult<string[]>).value,
      ['a'],
      'the first step sees itself',
    );
    t.equal(results[1]!.status, 'rejected');
    t.match((results[1] as PromiseRejectedResult).reason, { message: 'step b fails' });
    t.same(
      (results[2] as PromiseFulfilledResult<string[]>).value,
      ['a', 'c'],
      'a later step sees the earlier steps that stood, not the rolled-back one',
    );
    const stored = await store.db.selectFrom('budget_grants').select('buyer').execute();
    t.same(stored.map((r) => r.buyer).sort(), ['a', 'c'], 'only the steps that stood committed');
  },
);

t.test('a lone failing step leaves nothing behind', async (t) => {
  const { store } = await freshStore(t);
  const transact = batchedTransactions(store.db);
  await t.rejects(transact(grantStep('x', true)), { message: 'step x fails' });
  t.same(await store.db.selectFrom('budget_grants').selectAll().execute(), []);
});

t.test('when the batch transaction itself fails, every step of it is rejected', async (t) => {
  const { store } = await freshStore(t);
  const transact = batchedTransactions(store.db);
  const steps = [
    transact(grantStep('p')),
    transact(async (trx) => {
      await trx
        .insertInto('budget_grants')
        .values({ buyer: 'q', dataset: 'floods', period: '2026', epsilon: 1, delta: 0 })
        .execute();
      await store.db.destroy();
      return 'unreachable';
    }),
  ];
  const results = await Promise.allSettled(steps);
  t.ok(
    results.every((r) => r.status === 'rejected'),
    'no step reports success when its batch did not commit',
  );
});

t.test('steps arriving while a batch runs form the next one, in order', async (t) => {
  const { store } = await freshStore(t);
  const transact = batchedTransactions(store.db);
  const order: string[] = [];
  const first = transact(async (trx) => {
    order.push('first');
    await grantStep('f')(trx);
    void later.push(transact(async () => order.push('during')));
    return order.length;
  });
  const later: Promise<unknown>[] = [];
  await first;
  await Promise.all(later);
  t.same(order, ['first', 'during']);
  t.equal((await store.db.selectFrom('budget_grants').selectAll().execute()).length, 1);
});
