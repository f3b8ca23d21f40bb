import { VeilError } from '../errors/registry.js';

/** An (epsilon, delta) pair: a cost, a sum of costs or a limit. */
export interface BudgetAmount {
  epsilon: number;
  delta: number;
}

/** The limits one reservation must respect, taken from the policy by the caller. */
export interface BudgetLimits {
  buyer: BudgetAmount;
  dataset: BudgetAmount;
}

/**
 * Slack allowed when comparing sums of floating-point costs with a limit,
 * relative to the limit (absolute below 1): enough that ten charges of 0.1 fit
 * a limit of 1.0, far too small to buy a meaningful extra query.
 */
export const BUDGET_TOLERANCE = 1e-12;

/** Which budget a refusal is about. */
export interface BudgetScope {
  budget: 'buyer' | 'dataset';
  buyer: string;
  dataset: string;
  period: string;
}

/** True when `spent + cost` stays within `limit`, allowing for rounding. */
export function fitsWithin(spent: number, cost: number, limit: number): boolean {
  return spent + cost <= limit + BUDGET_TOLERANCE * Math.max(1, Math.abs(limit));
}

/**
 * Throws VEIL_BUDGET_EXHAUSTED when the cost would take either resource of a
 * budget past its limit. The message names the budget and its numbers, which
 * are budget bookkeeping, never enclave data.
 */
export function ensureWithin(
  scope: BudgetScope,
  spent: BudgetAmount,
  cost: BudgetAmount,
  limit: BudgetAmount,
): void {
  for (const resource of ['epsilon', 'delta'] as const) {
    if (fitsWithin(spent[resource], cost[resource], limit[resource])) continue;
    const owner =
      scope.budget === 'buyer' ? `buyer "${scope.buyer}"'s budget` : 'the dataset-wide budget';
    throw new VeilError(
      'VEIL_BUDGET_EXHAUSTED',
      `This query would exceed ${owner} for dataset "${scope.dataset}" in period ` +
        `${scope.period}: ${spent[resource]} of ${limit[resource]} ${resource} is spent and ` +
        `the query costs ${cost[resource]}. Ask with a smaller ${resource} or wait for the ` +
        'next period.',
      {
        budget: scope.budget,
        resource,
        dataset: scope.dataset,
        period: scope.period,
        spent: spent[resource],
        limit: limit[resource],
        cost: cost[resource],
      },
    );
  }
}

/** Rejects costs that are not finite and non-negative (a caller bug, not a refusal). */
export function assertValidCost(cost: BudgetAmount): void {
  const ok =
    Number.isFinite(cost.epsilon) &&
    cost.epsilon >= 0 &&
    Number.isFinite(cost.delta) &&
    cost.delta >= 0 &&
    cost.delta < 1;
  if (!ok) throw new RangeError('a budget cost needs finite epsilon >= 0 and 0 <= delta < 1');
}
