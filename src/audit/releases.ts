import { bureauDb, type ReleasedCellTable } from '../ledger/bureau-schema.js';
import type { Db } from '../ledger/schema.js';

/**
 * The release register: every noisy cell that ever left the enclave, written
 * in the transaction that charges its query, so an auditor can list exactly
 * what each buyer received.
 */

/** One released cell as the answer path hands it over. */
export interface ReleasedCell {
  keys: Record<string, string | null>;
  column: string;
  value: number | null;
}

/** A register row as an auditor reads it. */
export interface RegisteredCell extends ReleasedCell {
  queryId: string;
  dataset: string;
  buyer: string;
  at: string;
}

/** Who received the cells: the charge the cells were paid by. */
interface CellOwner {
  id: string;
  dataset: string;
  buyer: string;
}

/** Rows per insert statement, well under SQLite's bound-parameter limit. */
const CHUNK = 100;

/** Appends a query's released cells; call inside the charge's transaction. */
export async function recordCells(
  db: Db,
  owner: CellOwner,
  cells: ReleasedCell[],
  at: string,
): Promise<void> {
  const rows = cells.map((c) => ({
    query_id: owner.id,
    dataset: owner.dataset,
    buyer: owner.buyer,
    at,
    keys: JSON.stringify(c.keys),
    column: c.column,
    value: c.value,
  }));
  for (let i = 0; i < rows.length; i += CHUNK) {
    await bureauDb(db)
      .insertInto('released_cells')
      .values(rows.slice(i, i + CHUNK))
      .execute();
  }
}

/** Filters of the register listing, and the page: `limit` cells after the first `after`. */
export interface CellFilter {
  dataset?: string;
  buyer?: string;
  queryId?: string;
  limit: number;
  after?: number;
}

/** One page of the register; pass `nextAfter` back as `after` for the next one. */
export interface CellPage {
  cells: RegisteredCell[];
  nextAfter: number | null;
}

/**
 * Register rows in the order they were written, newest last, one page at a
 * time, so that an auditor can read every cell however many there are. The
 * order is total (time, query, keys, column: a query's cells share its time
 * and differ in keys or column), so pages neither repeat nor skip a cell.
 */
export async function listCells(db: Db, filter: CellFilter): Promise<CellPage> {
  let query = bureauDb(db).selectFrom('released_cells').selectAll();
  if (filter.dataset !== undefined) query = query.where('dataset', '=', filter.dataset);
  if (filter.buyer !== undefined) query = query.where('buyer', '=', filter.buyer);
  if (filter.queryId !== undefined) query = query.where('query_id', '=', filter.queryId);
  const after = filter.after ?? 0;
  const rows = await query
    .orderBy('at')
    .orderBy('query_id')
    .orderBy('keys')
    .orderBy('column')
    .limit(filter.limit)
    .offset(after)
    .execute();
  const full = rows.length === filter.limit;
  return { cells: rows.map(toCell), nextAfter: full ? after + rows.length : null };
}

function toCell(r: ReleasedCellTable): RegisteredCell {
  return {
    queryId: r.query_id,
    dataset: r.dataset,
    buyer: r.buyer,
    at: r.at,
    keys: JSON.parse(r.keys) as Record<string, string | null>,
    column: r.column,
    value: r.value,
  };
}

/** Turns answer rows into cells: every non-key column of every released row. */
export function cellsOf(
  rows: Record<string, string | number | null>[],
  keyLabels: string[],
  columns: string[],
): ReleasedCell[] {
  const cells: ReleasedCell[] = [];
  for (const row of rows) {
    const keys = Object.fromEntries(keyLabels.map((k) => [k, toKey(row[k])]));
    for (const column of columns) {
      const v = row[column];
      cells.push({ keys, column, value: typeof v === 'number' ? v : null });
    }
  }
  return cells;
}

function toKey(v: string | number | null | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}
