import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { bureauDb, type BureauTables, type ReleasedSetTable } from '../ledger/bureau-schema.js';
import { prepared } from '../ledger/prepared.js';
import type { Database, Db } from '../ledger/schema.js';

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

const insertSet = prepared((db, row: ReleasedSetTable) =>
  bureauDb(db).insertInto('released_sets').values({
    query_id: row.query_id,
    dataset: row.dataset,
    buyer: row.buyer,
    at: row.at,
    cells: row.cells,
    cell_count: row.cell_count,
  }),
);

/** Appends a query's released cells, as one row; call inside the charge's transaction. */
export async function recordCells(
  db: Db,
  owner: CellOwner,
  cells: ReleasedCell[],
  at: string,
): Promise<void> {
  await insertSet(db, {
    query_id: owner.id,
    dataset: owner.dataset,
    buyer: owner.buyer,
    at,
    cells: JSON.stringify(cells),
    cell_count: cells.length,
  });
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
 * Register cells in the order they were written, newest last, one page at a
 * time, so that an auditor can read every cell however many there are. The
 * order is total (time, query, then within a query keys and column, which
 * differ between its cells), so pages neither repeat nor skip a cell. Only
 * the answers a page touches are read whole; the others are counted.
 */
export async function listCells(db: Db, filter: CellFilter): Promise<CellPage> {
  const after = filter.after ?? 0;
  const spans = await bureauDb(db)
    .selectFrom('released_sets')
    .where(matching(filter))
    .select(['query_id', 'cell_count'])
    .orderBy('at')
    .orderBy('query_id')
    .execute();
  let skipped = 0;
  let first = 0;
  while (first < spans.length && skipped + spans[first]!.cell_count <= after) {
    skipped += spans[first]!.cell_count;
    first += 1;
  }
  let last = first;
  let covered = skipped;
  while (last < spans.length && covered < after + filter.limit) {
    covered += spans[last]!.cell_count;
    last += 1;
  }
  const ids = spans.slice(first, last).map((s) => s.query_id);
  const sets = ids.length === 0 ? [] : await setsOf(db, filter, ids);
  const cells = sets.flatMap(cellsOfSet).slice(after - skipped, after - skipped + filter.limit);
  const full = cells.length === filter.limit;
  return { cells, nextAfter: full ? after + cells.length : null };
}

/** The register rows a filter keeps, as one condition (true when it has no field). */
function matching(filter: CellFilter) {
  return (eb: ExpressionBuilder<Database & BureauTables, 'released_sets'>) => {
    const parts: Expression<SqlBool>[] = [];
    if (filter.dataset !== undefined) parts.push(eb('dataset', '=', filter.dataset));
    if (filter.buyer !== undefined) parts.push(eb('buyer', '=', filter.buyer));
    if (filter.queryId !== undefined) parts.push(eb('query_id', '=', filter.queryId));
    return eb.and(parts);
  };
}

/** The answers' rows by query id, in register order, read in chunks of bound ids. */
async function setsOf(db: Db, filter: CellFilter, ids: string[]): Promise<ReleasedSetTable[]> {
  const out: ReleasedSetTable[] = [];
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    const rows = await bureauDb(db)
      .selectFrom('released_sets')
      .where(matching(filter))
      .selectAll()
      .where('query_id', 'in', chunk)
      .orderBy('at')
      .orderBy('query_id')
      .execute();
    out.push(...rows);
  }
  return out;
}

/** Query ids bound in one statement, well under every dialect's parameter limit. */
const ID_CHUNK = 500;

/** One answer's cells in the register's order: by keys (as JSON text), then column. */
function cellsOfSet(set: ReleasedSetTable): RegisteredCell[] {
  const cells = JSON.parse(set.cells) as ReleasedCell[];
  const order = (c: ReleasedCell) => [JSON.stringify(c.keys), c.column] as const;
  cells.sort((a, b) => {
    const [ka, ca] = order(a);
    const [kb, cb] = order(b);
    return ka < kb ? -1 : ka > kb ? 1 : ca < cb ? -1 : ca > cb ? 1 : 0;
  });
  return cells.map((c) => ({
    queryId: set.query_id,
    dataset: set.dataset,
    buyer: set.buyer,
    at: set.at,
    keys: c.keys,
    column: c.column,
    value: c.value,
  }));
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
