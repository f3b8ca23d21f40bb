import { sql } from 'kysely';
import { createAnswerTable } from './answers.js';
import type { Db } from './schema.js';
import { GENESIS_HASH } from './schema.js';

/**
 * Creates the store's tables if they are missing. Written with Kysely's schema
 * builder (and standard SQL CHECKs) only, so the same function prepares a SQLite
 * file or a PostgreSQL schema; running it again is harmless.
 */
export async function migrate(db: Db): Promise<void> {
  await createBudgetTables(db);
  await createBudgetTotals(db);
  await createAuditTables(db);
  await addCachedFromColumn(db);
  await createAnswerTable(db);
}

/** Adds audit_entries.cached_from to stores created before repeats were served from storage. */
async function addCachedFromColumn(db: Db): Promise<void> {
  const tables = await db.introspection.getTables();
  const audit = tables.find((t) => t.name === 'audit_entries');
  if (audit?.columns.some((c) => c.name === 'cached_from')) return;
  await db.schema.alterTable('audit_entries').addColumn('cached_from', 'text').execute();
}

/**
 * Creates budget_totals and, when it is new, fills it from the charges
 * already made, so a store from before the table keeps its spent budgets.
 * The index on open reservations lets a budget read skip the charged rows;
 * it replaces the older index by scope, which every charge had to update
 * twice and no read needs any more.
 */
async function createBudgetTotals(db: Db): Promise<void> {
  const tables = await db.introspection.getTables();
  const existed = tables.some((t) => t.name === 'budget_totals');
  await createAmountTable(db, 'budget_totals', ['dataset', 'period', 'buyer']);
  await db.schema
    .createIndex('budget_charges_open')
    .ifNotExists()
    .on('budget_charges')
    .columns(['status', 'dataset', 'period', 'buyer'])
    .execute();
  await db.schema.dropIndex('budget_charges_scope').ifExists().execute();
  if (existed) return;
  await db
    .insertInto('budget_totals')
    .columns(['buyer', 'dataset', 'period', 'epsilon', 'delta'])
    .expression((eb) =>
      eb
        .selectFrom('budget_charges')
        .select((s) => [
          'buyer',
          'dataset',
          'period',
          s.fn.sum<number>('epsilon').as('epsilon'),
          s.fn.sum<number>('delta').as('delta'),
        ])
        .where('status', '=', 'charged')
        .groupBy(['buyer', 'dataset', 'period']),
    )
    .execute();
}

/**
 * A table of (epsilon, delta) amounts, one per buyer, dataset and period:
 * the grants a bureau set and the running totals of charges share it.
 */
async function createAmountTable(
  db: Db,
  name: 'budget_totals' | 'budget_grants',
  key: ('buyer' | 'dataset' | 'period')[],
): Promise<void> {
  await db.schema
    .createTable(name)
    .ifNotExists()
    .addColumn('buyer', 'text', (c) => c.notNull())
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('epsilon', 'double precision', (c) => c.notNull())
    .addColumn('delta', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint(`${name}_pk`, key)
    .execute();
}

async function createBudgetTables(db: Db): Promise<void> {
  await db.schema
    .createTable('budget_charges')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('buyer', 'text', (c) => c.notNull())
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('epsilon', 'double precision', (c) => c.notNull())
    .addColumn('delta', 'double precision', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('reserved', 'charged', 'released')`),
    )
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await createAmountTable(db, 'budget_grants', ['buyer', 'dataset', 'period']);
  await db.schema
    .createTable('budget_locks')
    .ifNotExists()
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('reservations', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('budget_locks_pk', ['dataset', 'period'])
    .execute();
}

async function createAuditTables(db: Db): Promise<void> {
  await db.schema
    .createTable('audit_entries')
    .ifNotExists()
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('query_id', 'text')
    .addColumn('buyer', 'text')
    .addColumn('role', 'text')
    .addColumn('route', 'text')
    .addColumn('method', 'text')
    .addColumn('status', 'integer')
    .addColumn('outcome', 'text', (c) =>
      c.notNull().check(sql`outcome in ('answered', 'refused', 'error', 'recovered')`),
    )
    .addColumn('code', 'text')
    .addColumn('dataset', 'text')
    .addColumn('period', 'text')
    .addColumn('query', 'text')
    .addColumn('rewritten_sql', 'text')
    .addColumn('policy_version', 'text')
    .addColumn('epsilon', 'double precision', (c) => c.notNull())
    .addColumn('delta', 'double precision', (c) => c.notNull())
    .addColumn('groups_released', 'integer')
    .addColumn('groups_suppressed', 'integer')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('audit_head')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db
    .insertInto('audit_head')
    .values({ id: 1, seq: 0, hash: GENESIS_HASH })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}
