import type { Db } from './schema.js';

/**
 * Runs `fn` inside a transaction: the caller's, when `db` already is one, or a
 * new one. Lets each ledger and audit step be used alone or composed into a
 * larger atomic step (a charge together with its audit entry).
 */
export function atomically<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}
