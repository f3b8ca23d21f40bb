import { CompiledQuery } from 'kysely';
import type { Db } from './schema.js';

/**
 * Runs the store's write steps of concurrent requests in one transaction.
 * Each COMMIT writes every page its transaction touched to the log, and the
 * requests of one moment touch the same few pages (the audit head, the
 * budget lock row and total, the last index pages): committing them
 * together writes those pages once, not once per request. Each step runs
 * inside a savepoint of its own, so a step that throws (a budget refused, an
 * answer already stored) is rolled back alone and fails alone, exactly as
 * if it had had its transaction to itself. Steps run one after another on
 * the one connection, so a step sees the steps before it (a reservation
 * counts against the next), and no step's promise settles before the batch
 * has committed: nothing is reported as written that a failed COMMIT lost.
 */

/** Runs `step` in a transaction, perhaps shared with the other steps of this moment. */
export type Transact = <T>(step: (trx: Db) => Promise<T>) => Promise<T>;

interface Pending {
  step: (trx: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

const savepoint = CompiledQuery.raw('savepoint veil_step');
const release = CompiledQuery.raw('release savepoint veil_step');
const rollback = CompiledQuery.raw('rollback to savepoint veil_step');

/**
 * A batcher on `db`. Steps that arrive while a batch is running, or in the
 * same turn of the event loop, form the next batch; it starts once the
 * current turn's I/O callbacks have run (setImmediate), so a lone request
 * waits for nothing but its own transaction.
 */
export function batchedTransactions(db: Db): Transact {
  let queue: Pending[] = [];
  let scheduled = false;
  let running = false;
  const schedule = () => {
    if (scheduled || running || queue.length === 0) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void flush();
    });
  };
  const flush = async () => {
    running = true;
    const batch = queue;
    queue = [];
    try {
      const outcomes = await db.transaction().execute((trx) => runAll(trx, batch));
      outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(o.err)));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      running = false;
      schedule();
    }
  };
  return <T>(step: (trx: Db) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ step, resolve: resolve as (v: unknown) => void, reject });
      schedule();
    });
}

async function runAll(trx: Db, batch: Pending[]): Promise<Outcome[]> {
  if (batch.length === 1) return [{ ok: true, value: await batch[0]!.step(trx) }];
  const outcomes: Outcome[] = [];
  for (const p of batch) {
    await trx.executeQuery(savepoint);
    try {
      const value = await p.step(trx);
      await trx.executeQuery(release);
      outcomes.push({ ok: true, value });
    } catch (err) {
      await trx.executeQuery(rollback);
      await trx.executeQuery(release);
      outcomes.push({ ok: false, err });
    }
  }
  return outcomes;
}
