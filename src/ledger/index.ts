/**
 * The ledger store's public face: budgets and the audit log behind one
 * interface, so callers import from here and never from a dialect adapter.
 */
export { openStore, createStore } from './store.js';
export type {
  AuditLog,
  BudgetLedger,
  LedgerStore,
  QueryAuditEntry,
  ReleaseAuditEntry,
  Store,
  StoreOptions,
} from './store.js';
export type { BudgetGrant, BudgetRow, Charge, ReserveRequest, SpendScope } from './charges.js';
export type { BudgetAmount, BudgetLimits } from './limits.js';
export { migrate } from './migrate.js';
export { periodKey } from './period.js';
export type { BudgetPeriod } from './period.js';
export type { AuditOutcome, ChargeStatus, Database } from './schema.js';
export type { AuditEntryInput, AuditRecord } from '../audit/entry.js';
export type { AuditFilter, AuditPage, LogSpend } from '../audit/log.js';
export type { VerifyResult } from '../audit/verify.js';
