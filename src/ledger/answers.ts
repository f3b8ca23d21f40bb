import { prepared } from './prepared.js';
import type { Db } from './schema.js';

/**
 * Released answers, kept so that a repeated question gets the same noisy
 * numbers (invariant 8). They live in the ledger database and are written in
 * the transaction that charges the query, so a restart can never forget an
 * answer whose budget was spent, and an answer is never stored without its
 * charge. The stored numbers are already noisy: storing them reveals nothing
 * the buyer has not been given.
 */

/** One stored answer; `key` is the hash of the normalized question (src/query/normalize.ts). */
export interface ReleasedAnswerTable {
  key: string;
  query_id: string;
  buyer: string;
  dataset: string;
  /** JSON of the canonical answer (src/query/repeat.ts). */
  body: string;
  created_at: string;
}

/** What commitWithAudit stores beside the charge. */
export interface ReleasedAnswerInput {
  key: string;
  queryId: string;
  buyer: string;
  dataset: string;
  body: string;
}

/**
 * Thrown inside the commit transaction when an identical question was stored
 * first by a concurrent request: the transaction rolls back, so this query is
 * not charged and the caller serves the stored answer instead.
 */
export class AnswerAlreadyStored extends Error {
  constructor(readonly key: string) {
    super('an identical question was answered first');
  }
}

/** Creates the table if it is missing (portable schema builder only). */
export async function createAnswerTable(db: Db): Promise<void> {
  await db.schema
    .createTable('released_answers')
    .ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('query_id', 'text', (c) => c.notNull())
    .addColumn('buyer', 'text', (c) => c.notNull())
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

const selectAnswer = prepared((db, a: { key: string }) =>
  db
    .selectFrom('released_answers')
    .select(['key', 'query_id', 'buyer', 'dataset', 'body'])
    .where('key', '=', a.key),
);

const insertAnswerRow = prepared((db, row: ReleasedAnswerTable) =>
  db
    .insertInto('released_answers')
    .values({
      key: row.key,
      query_id: row.query_id,
      buyer: row.buyer,
      dataset: row.dataset,
      body: row.body,
      created_at: row.created_at,
    })
    .onConflict((oc) => oc.column('key').doNothing()),
);

/** The stored answer of a normalized question, if one was released. */
export async function findAnswer(db: Db, key: string): Promise<ReleasedAnswerInput | undefined> {
  const row = (await selectAnswer(db, { key })).rows[0];
  if (row === undefined) return undefined;
  return {
    key: row.key,
    queryId: row.query_id,
    buyer: row.buyer,
    dataset: row.dataset,
    body: row.body,
  };
}

/** Inserts an answer; throws AnswerAlreadyStored when the key is taken (first answer wins). */
export async function insertAnswer(db: Db, input: ReleasedAnswerInput, now: string): Promise<void> {
  const result = await insertAnswerRow(db, {
    key: input.key,
    query_id: input.queryId,
    buyer: input.buyer,
    dataset: input.dataset,
    body: input.body,
    created_at: now,
  });
  if (Number(result.numAffectedRows ?? 0n) !== 1) throw new AnswerAlreadyStored(input.key);
}
