import { aggregateHalfWidth, DEFAULT_CONFIDENCE } from '../privacy/accuracy.js';
import { planOf, type AnswerContext } from './answer.js';
import { otherKeyOf, type CheckedQuery } from './checked.js';
import { budgetStanding } from './limits.js';
import { aggregateId } from './normalize.js';
import { dataVersionOf, findStored } from './repeat.js';
import { storedOther } from './other-row.js';

/**
 * What a query would cost and how accurate it would be, before it is asked.
 * Computed from the plan and the ledger only: nothing runs in the enclave,
 * nothing is charged, so a buyer can shop for an epsilon freely.
 */
export interface Quote {
  dataset: string;
  policyVersion: string;
  dataVersion: string;
  /** What the query would be charged: 0 when this buyer already holds its answer. */
  epsilon: number;
  delta: number;
  /** True when the same question was answered before and a repeat is free. */
  cached: boolean;
  intervals: {
    confidence: number;
    /** count, count_units, sum: the half-width of every cell. */
    halfWidth: Record<string, number>;
    /** avg: A, the half-width of a cell being A / max(1, its noisy non-NULL count). */
    avgNumerator?: Record<string, number>;
  };
  remaining: {
    now: { epsilon: number; delta: number };
    after: { epsilon: number; delta: number };
  };
  /** False when the query would be refused with VEIL_BUDGET_EXHAUSTED (buyer or dataset budget). */
  fits: boolean;
  partitionSelection: {
    /** True when some cells are thresholded: all of them, or only "other" cells. */
    needed: boolean;
    /**
     * Grouped or filtered columns without a public key list, and grouped
     * columns with an "other" label (only their label cells are thresholded).
     */
    dimensions: string[];
    k: number;
    /** The release threshold on noisy distinct units, or null without selection. */
    tau: number | null;
  };
  /**
   * When the body asks for the row of suppressed groups: its own threshold and half-widths
   * (its cost is already in epsilon and delta); else null.
   */
  otherRow: { tau: number; halfWidth: Record<string, number> } | null;
}

/** Columns whose keys are not public, so their groups must pass the threshold. */
function selectionDimensions(q: CheckedQuery): string[] {
  const publicAt = (dim: string, level: string) =>
    q.policy.publicKeyLists[dim]?.[level] !== undefined;
  const grouped = q.groupBy.filter((g) => !g.publicKeys).map((g) => g.label);
  const filtered = q.filters
    .filter((f) => !publicAt(f.dimension, f.level))
    .map((f) => `${f.dimension}:${f.level}`);
  const labelled = q.groupBy.filter((g) => otherKeyOf(g) !== undefined).map((g) => g.label);
  return [...new Set([...grouped, ...filtered, ...labelled])];
}

function intervalsOf(q: CheckedQuery, plan: ReturnType<typeof planOf>): Quote['intervals'] {
  const intervals: Quote['intervals'] = { confidence: DEFAULT_CONFIDENCE, halfWidth: {} };
  for (const agg of plan.aggregates) {
    const h = aggregateHalfWidth(plan, agg, DEFAULT_CONFIDENCE);
    if (agg.fn === 'avg') (intervals.avgNumerator ??= {})[agg.alias] = h;
    else intervals.halfWidth[agg.alias] = h;
  }
  return intervals;
}

const minus = (a: number, b: number) => Math.max(0, a - b);

/** Prices a checked query for a buyer. */
export async function quoteQuery(
  ctx: AnswerContext,
  q: CheckedQuery,
  buyer: string,
): Promise<Quote> {
  const plan = planOf(q);
  const cached = (await findStored(ctx, q, buyer)) !== undefined;
  const epsilon = cached ? 0 : plan.epsilonCharged;
  const delta = cached ? 0 : plan.deltaCharged;
  const now = (ctx.now ?? (() => new Date()))();
  const { period, limits, remaining } = await budgetStanding(ctx.store, q.policy, buyer, now);
  const datasetSpent = await ctx.store.ledger.spent({ dataset: q.dataset, period });
  const tolerance = 1e-12;
  const fits =
    epsilon <= remaining.epsilon + tolerance &&
    delta <= remaining.delta + tolerance &&
    datasetSpent.epsilon + epsilon <= limits.dataset.epsilon + tolerance &&
    datasetSpent.delta + delta <= limits.dataset.delta + tolerance;
  return {
    dataset: q.dataset,
    policyVersion: q.policy.version,
    dataVersion: dataVersionOf(ctx, q.dataset),
    epsilon,
    delta,
    cached,
    intervals: intervalsOf(q, plan),
    remaining: {
      now: remaining,
      after: { epsilon: minus(remaining.epsilon, epsilon), delta: minus(remaining.delta, delta) },
    },
    fits,
    partitionSelection: {
      needed: plan.selection !== undefined,
      dimensions: selectionDimensions(q),
      k: q.policy.k,
      tau: plan.selection?.tau ?? null,
    },
    otherRow: plan.other ? otherRowQuote(q, plan) : null,
  };
}

/** The row's tau and its half-widths by alias, as the answer will state them. */
function otherRowQuote(q: CheckedQuery, plan: ReturnType<typeof planOf>): Quote['otherRow'] {
  const stored = storedOther(plan, false);
  const halfWidth: Record<string, number> = {};
  for (const a of q.aggregates) {
    const h = stored.halfWidth[aggregateId(a)];
    if (h !== undefined) halfWidth[a.alias] = h;
  }
  return { tau: stored.tau, halfWidth };
}
