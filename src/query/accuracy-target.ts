import { z } from 'zod';
import { VeilError } from '../errors/registry.js';
import { aggregateHalfWidth, DEFAULT_CONFIDENCE } from '../privacy/accuracy.js';
import { planOf } from './answer.js';
import type { CheckedQuery } from './checked.js';
import { MIN_EPSILON } from '../policy/check.js';

/**
 * A target accuracy instead of an epsilon: "count within +-5 at 95%". Veil
 * finds the smallest epsilon whose plan gives that aggregate a half-width at
 * most the target, so the buyer pays for the accuracy they need and no more.
 * The search uses the plan only (sensitivities, scales), never the data, so
 * it costs nothing.
 */
export const accuracyRequest = z
  .object({
    aggregate: z.string().min(1).max(63),
    halfWidth: z.number().finite().positive(),
    confidence: z.number().gt(0).lt(1).default(DEFAULT_CONFIDENCE),
  })
  .strict();

export type AccuracyRequest = z.infer<typeof accuracyRequest>;

/** Epsilons are searched on this grid: a millionth, printed exactly. */
const STEP = 1e-6;

function invalid(path: (string | number)[], message: string): VeilError {
  return new VeilError('VEIL_QUERY_INVALID', message, { path: ['accuracy', ...path] });
}

function halfWidthAt(q: CheckedQuery, alias: string, confidence: number, steps: number): number {
  const plan = planOf({ ...q, epsilon: Number((steps * STEP).toFixed(6)) });
  const agg = plan.aggregates.find((a) => a.alias === alias)!;
  return aggregateHalfWidth(plan, agg, confidence);
}

/** The aggregate a target names; avg is refused because its width depends on each cell's count. */
function targetAggregate(q: CheckedQuery, target: AccuracyRequest) {
  const agg = q.aggregates.find((a) => a.alias === target.aggregate);
  if (agg === undefined) {
    const names = q.aggregates.map((a) => a.alias).join(', ');
    throw invalid(
      ['aggregate'],
      `"${target.aggregate}" is not an aggregate of this query; name one of: ${names}`,
    );
  }
  if (agg.fn === 'median' || agg.fn === 'p90') {
    throw invalid(
      ['aggregate'],
      'an accuracy target applies to count, count_units or sum; ' +
        `"${agg.alias}" is a quantile, released on a fixed grid`,
    );
  }
  if (agg.fn === 'avg') {
    throw invalid(
      ['aggregate'],
      'an accuracy target applies to count, count_units or sum; the interval of avg ' +
        `"${agg.alias}" depends on each group's count`,
    );
  }
  return agg;
}

/**
 * The checked query with the epsilon that reaches the target: the smallest
 * multiple of 1e-6 whose half-width at the target's confidence is at most
 * the target, and never below MIN_EPSILON (a loose target must not buy
 * the near-free queries an explicit epsilon cannot). Refuses with
 * VEIL_QUERY_ACCURACY_UNREACHABLE when even the policy's maximum epsilon
 * cannot reach it, naming what that maximum gives.
 */
export function applyAccuracy(q: CheckedQuery, target: AccuracyRequest): CheckedQuery {
  const { alias } = targetAggregate(q, target);
  const max = q.policy.epsilon.max;
  let hi = Math.floor(max / STEP + 1e-6);
  const atMax = halfWidthAt(q, alias, target.confidence, hi);
  if (atMax > target.halfWidth) {
    throw new VeilError(
      'VEIL_QUERY_ACCURACY_UNREACHABLE',
      `a half-width of ${target.halfWidth} for "${alias}" at ${target.confidence} ` +
        `confidence needs more than this dataset's maximum epsilon per query, ${max}, ` +
        `which gives ${atMax}; ask for a wider interval or fewer aggregates`,
      { path: ['accuracy', 'halfWidth'], maxEpsilon: max, halfWidthAtMax: atMax },
    );
  }
  let lo = 0;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (halfWidthAt(q, alias, target.confidence, mid) <= target.halfWidth) hi = mid;
    else lo = mid;
  }
  return { ...q, epsilon: Math.max(MIN_EPSILON, Number((hi * STEP).toFixed(6))) };
}

/**
 * Takes `accuracy` out of a query body (JSON or SQL form) so the front ends
 * see the body they know; refuses a body that gives both an epsilon and a
 * target, or a malformed target.
 */
export function splitAccuracy(body: unknown): { body: unknown; accuracy?: AccuracyRequest } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { body };
  if (!('accuracy' in body)) return { body };
  const { accuracy, ...rest } = body as Record<string, unknown>;
  if ('epsilon' in rest) {
    throw invalid([], 'give either "epsilon" or "accuracy", not both');
  }
  const parsed = accuracyRequest.safeParse(accuracy);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const path = first.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    throw invalid(path, `accuracy${path.length ? '.' + path.join('.') : ''}: ${first.message}`);
  }
  return { body: rest, accuracy: parsed.data };
}
