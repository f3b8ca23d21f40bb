import { VeilError } from '../errors/registry.js';
import type { BudgetAmount, BudgetLimits } from './limits.js';
import { assertValidCost, ensureWithin } from './limits.js';
import type { BudgetChargeTable, ChargeStatus, Db } from './schema.js';
import { atomically } from './transaction.js';

/**
 * The budget ledger's steps, each taking the database (or a transaction) first
 * so that they compose with audit appends inside one transaction.
 */

/** What reserve() needs: the query's cost, where it is charged, and the limits. */
export interface ReserveRequest extends BudgetAmount {
  queryId: string;
  buyer: string;
  dataset: string;
  period: string;
  limits: BudgetLimits;
}

/** One charge as stored. */
export interface Charge extends BudgetAmount {
  id: string;
  buyer: string;
  dataset: string;
  period: string;
  status: ChargeStatus;
  createdAt: string;
  updatedAt: string;
}

/** Where spending is summed: one buyer's, or (without buyer) the whole dataset's. */
export interface SpendScope {
  buyer?: string;
  dataset: string;
  period: string;
}

/** One row of a buyer's budget overview. */
export interface BudgetRow {
  dataset: string;
  period: string;
  epsilonSpent: number;
  deltaSpent: number;
}

/** An explicit per-buyer limit for one dataset and period, overriding the policy's. */
export interface BudgetGrant extends BudgetAmount {
  buyer: string;
  dataset: string;
  period: string;
}

/** Statuses that count against a budget: money promised or spent. */
const COUNTED: ChargeStatus[] = ['reserved', 'charged'];

/**
 * Checks both budgets and inserts the reservation in one transaction. The
 * lock-row write comes first so that concurrent reservations of the dataset
 * queue behind each other and none can read a stale sum.
 */
export function reserveCharge(db: Db, req: ReserveRequest, now: string): Promise<Charge> {
  assertValidCost(req);
  return atomically(db, async (trx) => {
    await lockScope(trx, req.dataset, req.period);
    if (await findCharge(trx, req.queryId)) {
      throw new RangeError(`query id ${req.queryId} already has a budget charge`);
    }
    const scope = { buyer: req.buyer, dataset: req.dataset, period: req.period };
    const buyerLimit = (await findGrant(trx, scope)) ?? req.limits.buyer;
    ensureWithin({ budget: 'buyer', ...scope }, await spentIn(trx, scope), req, buyerLimit);
    const datasetSpent = await spentIn(trx, { dataset: req.dataset, period: req.period });
    ensureWithin({ budget: 'dataset', ...scope }, datasetSpent, req, req.limits.dataset);
    const row: BudgetChargeTable = {
      id: req.queryId,
      ...scope,
      epsilon: req.epsilon,
      delta: req.delta,
      status: 'reserved',
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('budget_charges').values(row).execute();
    return toCharge(row);
  });
}

async function lockScope(trx: Db, dataset: string, period: string): Promise<void> {
  await trx
    .insertInto('budget_locks')
    .values({ dataset, period, reservations: 1 })
    .onConflict((oc) =>
      oc
        .columns(['dataset', 'period'])
        .doUpdateSet((eb) => ({ reservations: eb('budget_locks.reservations', '+', 1) })),
    )
    .execute();
}

/**
 * Moves a reservation to `charged` or `released`. Only a reservation moves:
 * a charge is final, and a released reservation can never be charged later.
 */
export function settleCharge(
  db: Db,
  queryId: string,
  to: 'charged' | 'released',
  now: string,
): Promise<Charge> {
  return atomically(db, async (trx) => {
    const result = await trx
      .updateTable('budget_charges')
      .set({ status: to, updated_at: now })
      .where('id', '=', queryId)
      .where('status', '=', 'reserved')
      .executeTakeFirst();
    const charge = await findCharge(trx, queryId);
    if (result.numUpdatedRows !== 1n || charge === undefined) {
      const state = charge === undefined ? 'has no reservation' : `is already ${charge.status}`;
      throw new VeilError('VEIL_INTERNAL', `Query ${queryId} ${state}; it cannot be ${to}.`);
    }
    return charge;
  });
}

/** The charge of a query, if it has one. */
export async function findCharge(db: Db, queryId: string): Promise<Charge | undefined> {
  const row = await db
    .selectFrom('budget_charges')
    .selectAll()
    .where('id', '=', queryId)
    .executeTakeFirst();
  return row === undefined ? undefined : toCharge(row);
}

async function findGrant(db: Db, scope: Required<SpendScope>): Promise<BudgetAmount | undefined> {
  return db
    .selectFrom('budget_grants')
    .select(['epsilon', 'delta'])
    .where('buyer', '=', scope.buyer)
    .where('dataset', '=', scope.dataset)
    .where('period', '=', scope.period)
    .executeTakeFirst();
}

/** Sets (or replaces) an explicit per-buyer limit. */
export async function putGrant(db: Db, grant: BudgetGrant): Promise<void> {
  assertValidCost(grant);
  await db
    .insertInto('budget_grants')
    .values(grant)
    .onConflict((oc) =>
      oc
        .columns(['buyer', 'dataset', 'period'])
        .doUpdateSet({ epsilon: grant.epsilon, delta: grant.delta }),
    )
    .execute();
}

/** Reserved plus charged cost in a scope: what is no longer available. */
export async function spentIn(db: Db, scope: SpendScope): Promise<BudgetAmount> {
  let query = db
    .selectFrom('budget_charges')
    .select((eb) => [
      eb.fn.sum<number | null>('epsilon').as('epsilon'),
      eb.fn.sum<number | null>('delta').as('delta'),
    ])
    .where('dataset', '=', scope.dataset)
    .where('period', '=', scope.period)
    .where('status', 'in', COUNTED);
  if (scope.buyer !== undefined) query = query.where('buyer', '=', scope.buyer);
  const row = await query.executeTakeFirst();
  return { epsilon: Number(row?.epsilon ?? 0), delta: Number(row?.delta ?? 0) };
}

/** A buyer's reserved plus charged cost per dataset and period. */
export async function budgetsOf(db: Db, buyer: string): Promise<BudgetRow[]> {
  const rows = await db
    .selectFrom('budget_charges')
    .select((eb) => [
      'dataset',
      'period',
      eb.fn.sum<number>('epsilon').as('epsilon'),
      eb.fn.sum<number>('delta').as('delta'),
    ])
    .where('buyer', '=', buyer)
    .where('status', 'in', COUNTED)
    .groupBy(['dataset', 'period'])
    .orderBy('dataset')
    .orderBy('period')
    .execute();
  return rows.map((r) => ({
    dataset: r.dataset,
    period: r.period,
    epsilonSpent: Number(r.epsilon),
    deltaSpent: Number(r.delta),
  }));
}

/**
 * Releases every reservation still open, for use at start-up: the process
 * that made them died before committing, so no answer left for them.
 */
export function releaseOpenReservations(db: Db, now: string): Promise<Charge[]> {
  return atomically(db, async (trx) => {
    const open = await trx
      .selectFrom('budget_charges')
      .select('id')
      .where('status', '=', 'reserved')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const released: Charge[] = [];
    for (const { id } of open) released.push(await settleCharge(trx, id, 'released', now));
    return released;
  });
}

function toCharge(row: BudgetChargeTable): Charge {
  return {
    id: row.id,
    buyer: row.buyer,
    dataset: row.dataset,
    period: row.period,
    epsilon: row.epsilon,
    delta: row.delta,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
