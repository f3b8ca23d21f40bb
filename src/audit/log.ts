import type { AuditEntryTable, Db } from '../ledger/schema.js';
import { prepared } from '../ledger/prepared.js';
import { atomically } from '../ledger/transaction.js';
import { entryHash } from './chain.js';
import type { AuditEntryInput, AuditOutcome, AuditRecord } from './entry.js';
import { toHashedFields, toRecord } from './entry.js';

/**
 * The audit log's steps, each taking the database (or a transaction) first so
 * that an entry can commit together with the budget charge it records.
 */

/** Every column of an entry, in table order, as toHashedFields writes them, then the hash. */
const ENTRY_COLUMNS = [
  ...Object.keys(toHashedFields({ outcome: 'answered' }, 0, '', '')),
  'hash',
] as (keyof AuditEntryTable)[];

const bumpHead = prepared((db) =>
  db
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash']),
);

const insertEntry = prepared((db, row: AuditEntryTable) =>
  db
    .insertInto('audit_entries')
    .values(
      Object.fromEntries(ENTRY_COLUMNS.map((c) => [c, row[c]])) as unknown as AuditEntryTable,
    ),
);

const setHeadHash = prepared((db, a: { hash: string }) =>
  db.updateTable('audit_head').set({ hash: a.hash }).where('id', '=', 1),
);

/**
 * Appends one entry at the end of the chain. The head row is bumped first:
 * that write serializes concurrent appends, so each gets the next seq and the
 * hash of the entry really before it.
 */
export function appendEntry(db: Db, input: AuditEntryInput, now: string): Promise<AuditRecord> {
  return atomically(db, async (trx) => {
    const head = (await bumpHead(trx, {})).rows[0];
    if (head === undefined) throw new Error('the audit head row is missing');
    const fields = toHashedFields(input, head.seq, head.hash, now);
    const row: AuditEntryTable = { ...fields, hash: entryHash(fields) };
    await insertEntry(trx, row);
    await setHeadHash(trx, { hash: row.hash });
    return toRecord(row);
  });
}

/** Filters for list(); `from`/`to` are ISO times, inclusive. */
export interface AuditFilter {
  buyer?: string;
  dataset?: string;
  outcome?: AuditOutcome;
  code?: string;
  from?: string;
  to?: string;
  limit?: number;
  afterSeq?: number;
}

/** One page of entries in seq order; pass `nextAfterSeq` back for the next page. */
export interface AuditPage {
  entries: AuditRecord[];
  nextAfterSeq: number | null;
}

/** Largest page list() returns, whatever the caller asks. */
export const MAX_PAGE = 1000;

/** Entries matching the filter, oldest first, one page at a time. */
export async function listEntries(db: Db, filter: AuditFilter): Promise<AuditPage> {
  const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? 100)), MAX_PAGE);
  let query = db
    .selectFrom('audit_entries')
    .selectAll()
    .where('seq', '>', filter.afterSeq ?? 0);
  if (filter.buyer !== undefined) query = query.where('buyer', '=', filter.buyer);
  if (filter.dataset !== undefined) query = query.where('dataset', '=', filter.dataset);
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
  if (filter.code !== undefined) query = query.where('code', '=', filter.code);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<=', filter.to);
  const rows = await query.orderBy('seq').limit(limit).execute();
  const last = rows.at(-1);
  return {
    entries: rows.map(toRecord),
    nextAfterSeq: rows.length === limit && last !== undefined ? last.seq : null,
  };
}

/** Budget spent per buyer, dataset and period, as the log alone tells it. */
export interface LogSpend {
  buyer: string | null;
  dataset: string | null;
  period: string | null;
  epsilon: number;
  delta: number;
}

/**
 * Recomputes spent budgets from answered entries only, so an auditor can
 * check the ledger against the log.
 */
export async function spentFromLog(db: Db): Promise<LogSpend[]> {
  const rows = await db
    .selectFrom('audit_entries')
    .select((eb) => [
      'buyer',
      'dataset',
      'period',
      eb.fn.sum<number>('epsilon').as('epsilon'),
      eb.fn.sum<number>('delta').as('delta'),
    ])
    .where('outcome', '=', 'answered')
    .groupBy(['buyer', 'dataset', 'period'])
    .orderBy('buyer')
    .orderBy('dataset')
    .orderBy('period')
    .execute();
  return rows.map((r) => ({ ...r, epsilon: Number(r.epsilon), delta: Number(r.delta) }));
}
