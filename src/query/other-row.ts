import { aggregateHalfWidth, DEFAULT_CONFIDENCE } from '../privacy/accuracy.js';
import { otherRowView, releaseOther } from '../privacy/other-row.js';
import { emptyGroup } from '../privacy/release.js';
import type { NoiseInfo, QueryPlan, ReleaseResult } from '../privacy/types.js';
import { attachHistogram, quantileMeasures } from '../rewrite/histogram.js';
import { groupCode, otherHistogramStatement, otherStatement } from '../rewrite/other.js';
import { runInEnclave } from '../telemetry/query-stages.js';
import type { AnswerContext } from './answer.js';
import { otherRowKey, type CheckedQuery } from './checked.js';
import { aggregateId } from './normalize.js';
import { toTrueGroups } from './true-groups.js';

/**
 * The query path's part of the row of suppressed groups (docs/privacy.md,
 * section 5b): its keys, its enclave statements, its release, and what the
 * answer says about it. Nothing here runs for a query that did not ask.
 */

/** What an answer says about the row of suppressed groups, in the request's own names. */
export interface OtherRowAnswer {
  /** True when the row passed its threshold and is one of `rows`. */
  released: boolean;
  /** The key it carries, per groupBy entry as written. */
  keys: Record<string, string>;
  /** Noisy distinct units it needs, over all the suppressed groups' rows. */
  tau: number;
  /** Its noise per aggregate alias: a count_units has its own (smaller) scale. */
  noise: Record<string, NoiseInfo>;
  /** Its 95% half-width per alias of count, count_units and sum. */
  halfWidth: Record<string, number>;
}

/** The stored form of the same, by aggregate id (src/query/repeat.ts). */
export interface StoredOther {
  released: boolean;
  tau: number;
  noise: Record<string, NoiseInfo>;
  halfWidth: Record<string, number>;
}

/** The row's keys, one per grouped column, in groupBy order. */
export function otherRowKeys(q: CheckedQuery): string[] {
  return q.groupBy.map((g) => otherRowKey(q, g));
}

/** The texts of the row's statements, for the audit entry; none when it was not asked for. */
export function otherRowSql(q: CheckedQuery): string[] {
  if (q.otherRow !== true) return [];
  const histograms = quantileMeasures(q).map((m) => otherHistogramStatement(q, m, []).sql);
  return [otherStatement(q, []).sql, ...histograms];
}

/**
 * Adds the row of suppressed groups to a release: runs its statements over
 * the rows of the groups the threshold withheld (none to run when no group
 * was), releases it under its own threshold, and appends it last. The
 * suppressed keys are dropped from the result here, after their one use as
 * a bound parameter.
 */
export async function withOtherRow(
  ctx: AnswerContext,
  q: CheckedQuery,
  plan: QueryPlan,
  r: ReleaseResult,
): Promise<ReleaseResult> {
  const codes = (r.suppressedKeys ?? []).map(groupCode);
  let group = emptyGroup([], plan);
  if (codes.length > 0) {
    const stmt = otherStatement(q, codes);
    group = toTrueGroups(await runInEnclave(ctx.enclave, q.dataset, stmt), stmt)[0]!;
    for (const measure of quantileMeasures(q)) {
      const h = otherHistogramStatement(q, measure, codes);
      attachHistogram([group], h, await runInEnclave(ctx.enclave, q.dataset, h));
    }
  }
  const row = releaseOther({ plan, group: { ...group, keys: otherRowKeys(q) } }, ctx.random);
  const rest: ReleaseResult = { ...r };
  delete rest.suppressedKeys;
  if (row === undefined) return { ...rest, other: { released: false } };
  return { ...rest, rows: [...r.rows, row], released: r.released + 1, other: { released: true } };
}

/** The stored description of the row: its threshold, and its noise and half-widths by id. */
export function storedOther(plan: QueryPlan, released: boolean): StoredOther {
  const view = otherRowView(plan);
  const noise: StoredOther['noise'] = {};
  const halfWidth: StoredOther['halfWidth'] = {};
  for (const agg of view.aggregates) {
    const id = aggregateId(agg);
    noise[id] = agg.noise;
    if (agg.fn !== 'avg') halfWidth[id] = aggregateHalfWidth(view, agg, DEFAULT_CONFIDENCE);
  }
  return { released, tau: plan.other!.tau, noise, halfWidth };
}

/** The answer's `other` field from the stored description, in the request's names. */
export function shapeOther(q: CheckedQuery, stored: StoredOther): OtherRowAnswer {
  const keys: OtherRowAnswer['keys'] = {};
  q.groupBy.forEach((g) => (keys[g.label] = otherRowKey(q, g)));
  const noise: OtherRowAnswer['noise'] = {};
  const halfWidth: OtherRowAnswer['halfWidth'] = {};
  for (const a of q.aggregates) {
    const id = aggregateId(a);
    noise[a.alias] = stored.noise[id]!;
    if (stored.halfWidth[id] !== undefined) halfWidth[a.alias] = stored.halfWidth[id];
  }
  return { released: stored.released, keys, tau: stored.tau, noise, halfWidth };
}
