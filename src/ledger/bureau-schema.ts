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

/** One released cell: a noisy aggregate of one released group. */
export interface ReleasedCellTable {
  query_id: string;
  dataset: string;
  buyer: string;
  at: string;
  /** The group's keys as JSON, keyed by the groupBy entries as written. */
  keys: string;
  column: string;
  value: number | null;
}

/** The bureau tables as Kysely sees them. */
export type BureauTables = {
  policy_versions: PolicyVersionTable;
  audit_checkpoints: AuditCheckpointTable;
  released_cells: ReleasedCellTable;
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
    .createTable('released_cells')
    .ifNotExists()
    .addColumn('query_id', 'text', (c) => c.notNull())
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('buyer', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('keys', 'text', (c) => c.notNull())
    .addColumn('column', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .execute();
  await db.schema
    .createIndex('released_cells_query')
    .ifNotExists()
    .on('released_cells')
    .columns(['dataset', 'buyer', 'query_id'])
    .execute();
}
