import type { Logger } from 'pino';
import type { AuditEntryInput, AuditRecord } from '../audit/entry.js';
import type { AuditFilter, AuditPage, LogSpend } from '../audit/log.js';
import { appendEntry, listEntries, spentFromLog } from '../audit/log.js';
import type { VerifyResult } from '../audit/verify.js';
import { verifyChain } from '../audit/verify.js';
import type { BudgetGrant, BudgetRow, Charge, ReserveRequest } from './charges.js';
import type { SpendScope } from './charges.js';
import {
  budgetsOf,
  putGrant,
  releaseOpenReservations,
  reserveCharge,
  settleCharge,
  spentIn,
  standingIn,
  type Standing,
} from './charges.js';
import type { BudgetAmount } from './limits.js';
import { migrateBureau } from './bureau-schema.js';
import { migrate } from './migrate.js';
import { findAnswer, insertAnswer, type ReleasedAnswerInput } from './answers.js';
import type { ReleasedCell } from '../audit/releases.js';
import { recordCells } from '../audit/releases.js';
import type { Db } from './schema.js';
import {
  alreadyDurable,
  groupCommit,
  type DurabilityBarrier,
  type FileSync,
} from './durability.js';
import { batchedTransactions, type Transact } from './batch.js';
import { openSqliteLedger } from './sqlite.js';
import { atomically } from './transaction.js';

/** The budget ledger's operations on the store. */
export interface BudgetLedger {
  /** Atomically checks both budgets and reserves the cost; throws VEIL_BUDGET_EXHAUSTED. */
  reserve(req: ReserveRequest): Promise<Charge>;
  /** reserved -> charged, without an audit entry (prefer commitWithAudit). */
  commit(queryId: string): Promise<Charge>;
  /** reserved -> released, without an audit entry (prefer releaseWithAudit). */
  release(queryId: string): Promise<Charge>;
  /** Reserved plus charged cost of one buyer (or, without buyer, the dataset). */
  spent(scope: SpendScope): Promise<BudgetAmount>;
  /** A buyer's spent budget and the bureau's grant (if any), read together. */
  standing(scope: Required<SpendScope>): Promise<Standing>;
  /** A buyer's reserved plus charged cost per dataset and period. */
  budgets(buyer: string): Promise<BudgetRow[]>;
  /** Sets an explicit per-buyer limit that overrides the caller's buyer limit. */
  grant(grant: BudgetGrant): Promise<void>;
  /** Releases reservations left by a crash, without audit entries; returns their ids. */
  recoverReservations(): Promise<string[]>;
}

/** The audit log's operations on the store. */
export interface AuditLog {
  append(entry: AuditEntryInput): Promise<AuditRecord>;
  list(filter: AuditFilter): Promise<AuditPage>;
  verify(): Promise<VerifyResult>;
  spentFromLog(): Promise<LogSpend[]>;
}

/** Audit fields of a query whose budget fields come from its charge. */
export type QueryAuditEntry = Omit<
  AuditEntryInput,
  'outcome' | 'queryId' | 'buyer' | 'dataset' | 'period' | 'epsilon' | 'delta'
> & {
  /** Cells an answer releases, written to the release register in the same transaction. */
  released?: ReleasedCell[];
  /** The answer to store for repeats (invariant 8); AnswerAlreadyStored rolls the commit back. */
  answer?: ReleasedAnswerInput;
};

/** Audit fields of a query that ends without an answer. */
export type ReleaseAuditEntry = QueryAuditEntry & { outcome: 'refused' | 'error' };

/**
 * The one interface the gateway uses for budgets and audit. The ledger and
 * the log share one database, so a charge and its audit entry commit or fail
 * together; any Kysely dialect can sit behind it.
 */
export interface LedgerStore {
  readonly ledger: BudgetLedger;
  readonly audit: AuditLog;
  /** The database itself, for the bureau and auditor tables that compose with the log. */
  readonly db: Db;
  /** Charges the reservation and appends its 'answered' entry in one transaction. */
  commitWithAudit(queryId: string, entry: QueryAuditEntry): Promise<AuditRecord>;
  /** Releases the reservation and appends its refused/error entry in one transaction. */
  releaseWithAudit(queryId: string, entry: ReleaseAuditEntry): Promise<AuditRecord>;
  /** At start-up: releases reservations a crash left open and logs each as 'recovered'. */
  recoverReservations(): Promise<string[]>;
  /**
   * Resolves once every commit made before the call is on disk. Commits alone
   * may still sit in the OS (synchronous=NORMAL), so whatever releases a
   * number or acknowledges a write awaits this after its commit; concurrent
   * callers share one fsync (src/ledger/durability.ts).
   */
  durable: DurabilityBarrier;
  /**
   * The stored answer of a normalized question (invariant 8), if one was
   * released. A stored answer never changes once its charge committed, so
   * answers found are kept in memory (the newest STORED_ANSWERS_KEPT) and a
   * repeat reads the database only the first time.
   */
  findAnswer(key: string): Promise<ReleasedAnswerInput | undefined>;
  close(): Promise<void>;
}

/** Stored answers a store keeps in memory once found. */
export const STORED_ANSWERS_KEPT = 5000;

/** The store as openStore() returns it. */
export type Store = LedgerStore;

/** Injectable pieces: a pino logger (never given query text) and a clock for tests. */
export interface StoreOptions {
  logger?: Logger;
  now?: () => Date;
  /**
   * How commits reach the disk when the dialect's COMMIT does not wait for
   * it (SQLite with synchronous=NORMAL): its flushes are grouped into
   * durable(), and close() releases it. Without it durable() resolves at
   * once, which is right only for a dialect whose commits are durable when
   * they return (PostgreSQL with synchronous_commit=on). createStore takes
   * it from the caller; openStore always passes the SQLite log's own.
   */
  flush?: FileSync;
}

/**
 * Opens (creating if needed) `<dataDir>/ledger.sqlite`, brings its schema up
 * to date and returns the store. The directory must exist.
 */
export async function openStore(dataDir: string, options: StoreOptions = {}): Promise<Store> {
  const { db, wal } = openSqliteLedger(dataDir, (code) =>
    options.logger?.error({ event: 'ledger_checkpoint_failed', code }, 'ledger checkpoint failed'),
  );
  try {
    await migrate(db);
    await migrateBureau(db);
  } catch (err) {
    await wal.close();
    await db.destroy();
    throw err;
  }
  return createStore(db, { ...options, flush: wal });
}

/** Builds the store on an already migrated database of any dialect. */
export function createStore(db: Db, options: StoreOptions = {}): LedgerStore {
  const clock = options.now ?? (() => new Date());
  const now = () => clock().toISOString();
  const log = options.logger;
  const durable = options.flush ? groupCommit(options.flush.sync) : alreadyDurable;
  const transact = batchedTransactions(db);
  const ledger = createLedger(db, transact, now, log);
  const audit: AuditLog = {
    append: async (entry) => logged(log, await transact((trx) => appendEntry(trx, entry, now()))),
    list: (filter) => listEntries(db, filter),
    verify: () => verifyChain(db),
    spentFromLog: () => spentFromLog(db),
  };
  const settleWithAudit = (
    id: string,
    to: 'charged' | 'released',
    {
      released,
      answer,
      ...entry
    }: AuditEntryInput & { released?: ReleasedCell[]; answer?: ReleasedAnswerInput },
  ) =>
    transact(async (trx) => {
      if (answer && to === 'charged') await insertAnswer(trx, answer, now());
      const charge = await settleCharge(trx, id, to, now());
      const charged = to === 'charged' ? charge : { epsilon: 0, delta: 0 };
      const record = await appendEntry(
        trx,
        { ...entry, ...budgetFields(charge), ...pick(charged) },
        now(),
      );
      if (released?.length) await recordCells(trx, charge, released, record.at);
      return record;
    });
  return {
    ledger,
    audit,
    db,
    commitWithAudit: async (id, entry) =>
      logged(log, await settleWithAudit(id, 'charged', { ...entry, outcome: 'answered' })),
    releaseWithAudit: async (id, entry) =>
      logged(log, await settleWithAudit(id, 'released', entry)),
    recoverReservations: async () => {
      const released = await recoverWithAudit(db, now, log);
      await durable();
      return released;
    },
    durable,
    findAnswer: keptAnswers(db),
    close: async () => {
      await durable().catch(() => undefined);
      await options.flush?.close();
      await db.destroy();
    },
  };
}

function keptAnswers(db: Db): (key: string) => Promise<ReleasedAnswerInput | undefined> {
  const kept = new Map<string, ReleasedAnswerInput>();
  return async (key) => {
    const hit = kept.get(key);
    if (hit !== undefined) return hit;
    const found = await findAnswer(db, key);
    if (found === undefined) return undefined;
    kept.set(key, found);
    if (kept.size > STORED_ANSWERS_KEPT) kept.delete(kept.keys().next().value!);
    return found;
  };
}

function createLedger(
  db: Db,
  transact: Transact,
  now: () => string,
  log: Logger | undefined,
): BudgetLedger {
  return {
    reserve: async (req) => {
      try {
        const charge = await transact((trx) => reserveCharge(trx, req, now()));
        log?.debug({ queryId: charge.id, epsilon: charge.epsilon }, 'budget reserved');
        return charge;
      } catch (err) {
        log?.info({ queryId: req.queryId, code: codeOf(err) }, 'budget reservation refused');
        throw err;
      }
    },
    commit: (id) => transact((trx) => settleCharge(trx, id, 'charged', now())),
    release: (id) => transact((trx) => settleCharge(trx, id, 'released', now())),
    spent: (scope) => spentIn(db, scope),
    standing: (scope) => standingIn(db, scope),
    budgets: (buyer) => budgetsOf(db, buyer),
    grant: (grant) => putGrant(db, grant),
    recoverReservations: async () =>
      (await releaseOpenReservations(db, now())).map((charge) => charge.id),
  };
}

async function recoverWithAudit(
  db: Db,
  now: () => string,
  log: Logger | undefined,
): Promise<string[]> {
  const released = await atomically(db, async (trx) => {
    const charges = await releaseOpenReservations(trx, now());
    for (const charge of charges) {
      const entry = {
        outcome: 'recovered' as const,
        ...budgetFields(charge),
        epsilon: 0,
        delta: 0,
      };
      await appendEntry(trx, entry, now());
    }
    return charges;
  });
  if (released.length > 0) log?.warn({ count: released.length }, 'released crashed reservations');
  return released.map((charge) => charge.id);
}

function budgetFields(charge: Charge) {
  return {
    queryId: charge.id,
    buyer: charge.buyer,
    dataset: charge.dataset,
    period: charge.period,
  };
}

function pick(amount: BudgetAmount): BudgetAmount {
  return { epsilon: amount.epsilon, delta: amount.delta };
}

function codeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** Logs an appended entry by its bookkeeping fields only: never the query or SQL text. */
function logged(log: Logger | undefined, record: AuditRecord): AuditRecord {
  log?.info(
    { seq: record.seq, outcome: record.outcome, code: record.code, queryId: record.queryId },
    'audit entry appended',
  );
  return record;
}
