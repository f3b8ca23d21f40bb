import { findGrant } from '../ledger/charges.js';
import type { BudgetAmount } from '../ledger/limits.js';
import { periodKey } from '../ledger/period.js';
import type { Db } from '../ledger/schema.js';
import type { Store } from '../ledger/store.js';
import type { LoadedPolicy } from '../policy/load.js';
import { budgetLimits } from './answer.js';

/**
 * The budget limits in force for a buyer, as the reservation applies them: a
 * bureau's grant for the buyer, dataset and period (PUT, top-up, revoke)
 * overrides the policy's limit. Every place that shows a limit or a
 * remaining budget reads it here, so a quote, the catalogue and
 * GET /v1/budget say what the next reservation will actually allow.
 */

/** The buyer's limit for a period: the bureau's grant when there is one, else the policy's. */
export async function buyerLimit(
  db: Db,
  policy: LoadedPolicy,
  buyer: string,
  period: string,
): Promise<BudgetAmount> {
  const grant = await findGrant(db, { buyer, dataset: policy.dataset, period });
  return grant ?? budgetLimits(policy, buyer).buyer;
}

/** What a buyer may still spend on a dataset now, with the limits it is measured against. */
export interface BudgetStanding {
  period: string;
  limits: { buyer: BudgetAmount; dataset: BudgetAmount };
  spent: BudgetAmount;
  remaining: BudgetAmount;
}

/** The buyer's standing in the period that `now` falls in. */
export async function budgetStanding(
  store: Pick<Store, 'db' | 'ledger'>,
  policy: LoadedPolicy,
  buyer: string,
  now: Date,
): Promise<BudgetStanding> {
  const period = periodKey(policy.budgets.period, now);
  const standing = await store.ledger.standing({ buyer, dataset: policy.dataset, period });
  const limit = standing.grant ?? budgetLimits(policy, buyer).buyer;
  const spent = standing.spent;
  return {
    period,
    limits: { buyer: limit, dataset: policy.budgets.dataset },
    spent,
    remaining: {
      epsilon: Math.max(0, limit.epsilon - spent.epsilon),
      delta: Math.max(0, limit.delta - spent.delta),
    },
  };
}
