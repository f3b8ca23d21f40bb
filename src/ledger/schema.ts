import type { Kysely } from 'kysely';
import type { ReleasedAnswerTable } from './answers.js';

/**
 * Table types of the ledger store. The budget ledger and the audit log live in
 * one database so that a charge and its audit entry commit in one transaction.
 * Every column type is portable between SQLite and PostgreSQL.
 */

/** Life of a charge: reserved before the enclave runs, then charged or released. */
export type ChargeStatus = 'reserved' | 'charged' | 'released';

/** How a request ended, as the audit log records it. */
export type AuditOutcome = 'answered' | 'refused' | 'error' | 'recovered';

/** One query's cost; `id` is the query id, so a query is charged at most once. */
export interface BudgetChargeTable {
  id: string;
  buyer: string;
  dataset: string;
  period: string;
  epsilon: number;
  delta: number;
  status: ChargeStatus;
  created_at: string;
  updated_at: string;
}

/**
 * The charged cost of one buyer per dataset and period, kept up to date by
 * every charge in the same transaction. Reading a budget then costs one row
 * and the few open reservations, not a sum over every charge ever made.
 */
export interface BudgetTotalTable {
  buyer: string;
  dataset: string;
  period: string;
  epsilon: number;
  delta: number;
}

/** An explicit buyer budget that replaces the policy's per-buyer limit for one period. */
export interface BudgetGrantTable {
  buyer: string;
  dataset: string;
  period: string;
  epsilon: number;
  delta: number;
}

/**
 * One row per (dataset, period) that every reservation writes first. Writing it
 * makes concurrent reservations of the same dataset wait for each other (a
 * write lock in SQLite, a row lock in PostgreSQL), so check-then-insert is atomic
 * on every dialect without dialect-specific locking SQL.
 */
export interface BudgetLockTable {
  dataset: string;
  period: string;
  reservations: number;
}

/** One audit entry; `hash` chains it to the entry before (`prev_hash`). */
export interface AuditEntryTable {
  seq: number;
  at: string;
  request_id: string | null;
  query_id: string | null;
  buyer: string | null;
  role: string | null;
  route: string | null;
  method: string | null;
  status: number | null;
  outcome: AuditOutcome;
  code: string | null;
  dataset: string | null;
  period: string | null;
  query: string | null;
  rewritten_sql: string | null;
  policy_version: string | null;
  epsilon: number;
  delta: number;
  groups_released: number | null;
  groups_suppressed: number | null;
  /**
   * For a repeated question served from a stored answer: the query id of the
   * answer it repeats (null otherwise). Left out of the hash when null, so
   * entries written before the column existed keep their hashes.
   */
  cached_from: string | null;
  prev_hash: string;
  hash: string;
}

/**
 * The single head row (id 1) of the audit chain: last seq and hash. Appends
 * update it first, which serializes them, and verify() compares the chain's end
 * with it, so deleting the newest entries is detected too.
 */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/** The whole store as Kysely sees it. */
export interface Database {
  budget_charges: BudgetChargeTable;
  budget_grants: BudgetGrantTable;
  budget_totals: BudgetTotalTable;
  budget_locks: BudgetLockTable;
  audit_entries: AuditEntryTable;
  audit_head: AuditHeadTable;
  released_answers: ReleasedAnswerTable;
}

/** A Kysely instance or an open transaction on the store. */
export type Db = Kysely<Database>;

/** The first entry's prev_hash: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);
