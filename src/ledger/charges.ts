import { VeilError } from '../errors/registry.js';
import type { BudgetAmount, BudgetLimits } from './limits.js';
import { assertValidCost, ensureWithin } from './limits.js';
import { sql, type ExpressionBuilder } from 'kysely';
import { prepared } from './prepared.js';
import type { BudgetChargeTable, ChargeStatus, Database, Db } from './schema.js';
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
    await insertCharge(trx, row);
    return toCharge(row);
  });
}

const bumpLock = prepared((db, a: { dataset: string; period: string }) =>
  db
    .insertInto('budget_locks')
    .values({ dataset: a.dataset, period: a.period, reservations: 1 })
    .onConflict((oc) =>
      oc
        .columns(['dataset', 'period'])
        .doUpdateSet((eb) => ({ reservations: eb('budget_locks.reservations', '+', 1) })),
    ),
);

const insertCharge = prepared((db, row: BudgetChargeTable) =>
  db.insertInto('budget_charges').values({
    id: row.id,
    buyer: row.buyer,
    dataset: row.dataset,
    period: row.period,
    epsilon: row.epsilon,
    delta: row.delta,
    status: row.status,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }),
);

async function lockScope(trx: Db, dataset: string, period: string): Promise<void> {
  await bumpLock(trx, { dataset, period });
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
    const result = await moveReserved(trx, { id: queryId, to, now });
    const charge = await findCharge(trx, queryId);
    if (result.numAffectedRows !== 1n || charge === undefined) {
      const state = charge === undefined ? 'has no reservation' : `is already ${charge.status}`;
      throw new VeilError('VEIL_INTERNAL', `Query ${queryId} ${state}; it cannot be ${to}.`);
    }
    if (to === 'charged') await addToTotal(trx, charge);
    return charge;
  });
}

const moveReserved = prepared((db, a: { id: string; to: ChargeStatus; now: string }) =>
  db
    .updateTable('budget_charges')
    .set({ status: a.to, updated_at: a.now })
    .where('id', '=', a.id)
    .where('status', '=', 'reserved'),
);

const addCharged = prepared((db, c: Charge) =>
  db
    .insertInto('budget_totals')
    .values({
      buyer: c.buyer,
      dataset: c.dataset,
      period: c.period,
      epsilon: c.epsilon,
      delta: c.delta,
    })
    .onConflict((oc) =>
      oc.columns(['dataset', 'period', 'buyer']).doUpdateSet((eb) => ({
        epsilon: eb('budget_totals.epsilon', '+', eb.ref('excluded.epsilon')),
        delta: eb('budget_totals.delta', '+', eb.ref('excluded.delta')),
      })),
    ),
);

/** Adds a charge to its buyer's running total (budget_totals), creating the row on first use. */
async function addToTotal(trx: Db, charge: Charge): Promise<void> {
  await addCharged(trx, charge);
}

const selectCharge = prepared((db, a: { id: string }) =>
  db.selectFrom('budget_charges').selectAll().where('id', '=', a.id),
);

const selectGrant = prepared((db, a: Required<SpendScope>) =>
  db
    .selectFrom('budget_grants')
    .select(['epsilon', 'delta'])
    .where('buyer', '=', a.buyer)
    .where('dataset', '=', a.dataset)
    .where('period', '=', a.period),
);

/** The charge of a query, if it has one. */
export async function findCharge(db: Db, queryId: string): Promise<Charge | undefined> {
  const row = (await selectCharge(db, { id: queryId })).rows[0];
  return row === undefined ? undefined : toCharge(row);
}

/** The bureau's explicit limit for a buyer, dataset and period, if it set one. */
export async function findGrant(
  db: Db,
  scope: Required<SpendScope>,
): Promise<BudgetAmount | undefined> {
  return (await selectGrant(db, scope)).rows[0];
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

/**
 * Reserved plus charged cost in a scope: what is no longer available. The
 * charged part is the running total; the reserved part sums only the open
 * reservations, which are as many as the queries in flight.
 */
export async function spentIn(db: Db, scope: SpendScope): Promise<BudgetAmount> {
  const { buyer } = scope;
  const parts =
    buyer === undefined ? await datasetSpent(db, scope) : await buyerSpent(db, { ...scope, buyer });
  const spent = { epsilon: 0, delta: 0 };
  for (const r of parts.rows) {
    spent.epsilon += Number(r.epsilon ?? 0);
    spent.delta += Number(r.delta ?? 0);
  }
  return spent;
}

type Sums = { epsilon: number | null; delta: number | null };

function sums(eb: ExpressionBuilder<Database, 'budget_totals' | 'budget_charges'>) {
  return [
    eb.fn.sum<number | null>('epsilon').as('epsilon'),
    eb.fn.sum<number | null>('delta').as('delta'),
  ];
}

/** Two rows in one statement: the charged total, then the open reservations. */
const datasetSpent = prepared<SpendScope, Sums>((db, a) =>
  db
    .selectFrom('budget_totals')
    .select(sums)
    .where('dataset', '=', a.dataset)
    .where('period', '=', a.period)
    .unionAll(
      db
        .selectFrom('budget_charges')
        .select(sums)
        .where('status', '=', 'reserved')
        .where('dataset', '=', a.dataset)
        .where('period', '=', a.period),
    ),
);

/**
 * A buyer's charged total and open reservations as two rows, each marked
 * 'spent': the whole of buyerSpent, and the first part of buyerStanding.
 */
function buyerSpentRows(db: Db, a: Required<SpendScope>) {
  return db
    .selectFrom('budget_totals')
    .select((eb) => [sql<string>`'spent'`.as('part'), ...sums(eb)])
    .where('dataset', '=', a.dataset)
    .where('period', '=', a.period)
    .where('buyer', '=', a.buyer)
    .unionAll(
      db
        .selectFrom('budget_charges')
        .select((eb) => [sql<string>`'spent'`.as('part'), ...sums(eb)])
        .where('status', '=', 'reserved')
        .where('dataset', '=', a.dataset)
        .where('period', '=', a.period)
        .where('buyer', '=', a.buyer),
    );
}

/** The same, for one buyer. */
const buyerSpent = prepared((db, a: Required<SpendScope>) => buyerSpentRows(db, a));

/** A buyer's reserved plus charged cost in a scope, and the bureau's grant there if any. */
export interface Standing {
  spent: BudgetAmount;
  grant: BudgetAmount | undefined;
}

/** Both halves of a buyer's standing in one statement: every answer reports it. */
export async function standingIn(db: Db, scope: Required<SpendScope>): Promise<Standing> {
  const spent = { epsilon: 0, delta: 0 };
  let grant: BudgetAmount | undefined;
  for (const r of (await buyerStanding(db, scope)).rows) {
    if (r.part === 'grant') {
      grant = { epsilon: Number(r.epsilon), delta: Number(r.delta) };
      continue;
    }
    spent.epsilon += Number(r.epsilon ?? 0);
    spent.delta += Number(r.delta ?? 0);
  }
  return { spent, grant };
}

const buyerStanding = prepared((db, a: Required<SpendScope>) =>
  buyerSpentRows(db, a).unionAll(
    db
      .selectFrom('budget_grants')
      .select([sql<string>`'grant'`.as('part'), 'epsilon', 'delta'])
      .where('buyer', '=', a.buyer)
      .where('dataset', '=', a.dataset)
      .where('period', '=', a.period),
  ),
);

/** A buyer's reserved plus charged cost per dataset and period. */
export async function budgetsOf(db: Db, buyer: string): Promise<BudgetRow[]> {
  const charged = await db
    .selectFrom('budget_totals')
    .select(['dataset', 'period', 'epsilon', 'delta'])
    .where('buyer', '=', buyer)
    .execute();
  const reserved = await db
    .selectFrom('budget_charges')
    .select(['dataset', 'period', 'epsilon', 'delta'])
    .where('status', '=', 'reserved')
    .where('buyer', '=', buyer)
    .execute();
  const rows = new Map<string, BudgetRow>();
  for (const r of [...charged, ...reserved]) {
    const key = JSON.stringify([r.dataset, r.period]);
    const row = rows.get(key) ?? {
      dataset: r.dataset,
      period: r.period,
      epsilonSpent: 0,
      deltaSpent: 0,
    };
    row.epsilonSpent += Number(r.epsilon);
    row.deltaSpent += Number(r.delta);
    rows.set(key, row);
  }
  const order = (r: BudgetRow) => `${r.dataset}\u0000${r.period}`;
  return [...rows.values()].sort((a, b) => (order(a) < order(b) ? -1 : 1));
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
