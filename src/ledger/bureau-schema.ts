import type { Kysely } from 'kysely';
import type { Database, Db } from './schema.js';

/**
 * Tables of the bureau and auditor features, kept beside the ledger's own so
 * that a policy change, a budget grant or a released cell commits in the same
 * database (and transaction) as the audit entry that records it.
 */

/** One stored policy version; `id` is what answers name (`v<n>-<hash8>`). */
export interface PolicyVersionTable {
  dataset: string;
  version: number;
  id: string;
  hash: string;
  /** The validated policy as canonical JSON. */
  body: string;
  /** `file:<name>` for a policy read at start, else the bureau's organisation. */
  author: string;
  source: 'file' | 'api';
  created_at: string;
}

/** A signed chain head: Ed25519 over `veil-audit-checkpoint:<seq>:<hash>`. */
export interface AuditCheckpointTable {
  seq: number;
  hash: string;
  signature: string;
  at: string;
}

/**
 * The cells one answer released, as one row: writing a row per cell cost
 * more than the rest of the query's ledger writes together (a table page and
 * a randomly placed index page per cell), and the register is read far more
 * rarely than it is written.
 */
export interface ReleasedSetTable {
  query_id: string;
  dataset: string;
  buyer: string;
  at: string;
  /** JSON array of `{keys, column, value}`, keys by the groupBy entries as written. */
  cells: string;
  cell_count: number;
}

/** The per-cell register of stores written before ReleasedSetTable; migrated away at start. */
export interface LegacyReleasedCellTable {
  query_id: string;
  dataset: string;
  buyer: string;
  at: string;
  keys: string;
  column: string;
  value: number | null;
}

/** The bureau tables as Kysely sees them. */
export type BureauTables = {
  policy_versions: PolicyVersionTable;
  audit_checkpoints: AuditCheckpointTable;
  released_sets: ReleasedSetTable;
  released_cells: LegacyReleasedCellTable;
};

/** The store seen with the bureau tables too. */
export type BureauDb = Kysely<Database & BureauTables>;

/** The same database (or transaction) typed with the bureau tables. */
export function bureauDb(db: Db): BureauDb {
  return db.withTables<BureauTables>() as BureauDb;
}

/** Creates the bureau tables if missing; portable schema builder only, safe to rerun. */
export async function migrateBureau(base: Db): Promise<void> {
  const db = bureauDb(base);
  await db.schema
    .createTable('policy_versions')
    .ifNotExists()
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_versions_pk', ['dataset', 'version'])
    .execute();
  await db.schema
    .createTable('audit_checkpoints')
    .ifNotExists()
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('released_sets')
    .ifNotExists()
    .addColumn('query_id', 'text', (c) => c.notNull())
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('buyer', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('cells', 'text', (c) => c.notNull())
    .addColumn('cell_count', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('released_sets_order')
    .ifNotExists()
    .on('released_sets')
    .columns(['at', 'query_id'])
    .execute();
  await migrateCellRows(db);
}

/**
 * Moves a store's per-cell register rows, if it has any, into one row per
 * answer, then drops the old table, in one transaction: no cell is lost or
 * counted twice if the start is interrupted.
 */
async function migrateCellRows(db: BureauDb): Promise<void> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === 'released_cells')) return;
  await db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('released_cells')
      .selectAll()
      .orderBy('at')
      .orderBy('query_id')
      .execute();
    const sets = new Map<string, ReleasedSetTable & { list: unknown[] }>();
    for (const r of rows) {
      const set = sets.get(r.query_id) ?? {
        query_id: r.query_id,
        dataset: r.dataset,
        buyer: r.buyer,
        at: r.at,
        cells: '',
        cell_count: 0,
        list: [],
      };
      set.list.push({ keys: JSON.parse(r.keys) as unknown, column: r.column, value: r.value });
      sets.set(r.query_id, set);
    }
    for (const { list, ...set } of sets.values()) {
      await trx
        .insertInto('released_sets')
        .values({ ...set, cells: JSON.stringify(list), cell_count: list.length })
        .execute();
    }
    await trx.schema.dropTable('released_cells').execute();
  });
}
