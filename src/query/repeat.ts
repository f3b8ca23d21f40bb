import type { ReleasedAnswerInput } from '../ledger/answers.js';
import { aggregateHalfWidth, avgHalfWidth, DEFAULT_CONFIDENCE } from '../privacy/accuracy.js';
import type { NoiseInfo, QueryPlan, ReleaseResult } from '../privacy/types.js';
import { compareRows, type AnswerContext, type QueryAnswer, type QueryOrigin } from './answer.js';
import type { CheckedQuery } from './checked.js';
import { budgetStanding } from './limits.js';
import { aggregateId, answerKey, groupId } from './normalize.js';
import { shapeOther, storedOther, type StoredOther } from './other-row.js';
import { newQueryId } from './query-id.js';

/**
 * Released answers in a spelling-free form, and the answer a request gets
 * from one. The first answer and every repeat are both shaped from this
 * form, so a repeat carries exactly the first answer's noisy numbers
 * (invariant 8), whatever order, aliases or front end the repeat uses.
 */

/** One released group: keys in sorted group order, values by aggregate id. */
interface StoredRow {
  keys: (string | null)[];
  values: Record<string, number>;
  /** Noisy non-NULL counts of the avg aggregates, for their per-cell intervals. */
  denominators?: Record<string, number>;
}

/** The canonical form of one released answer, stored as JSON (src/ledger/answers.ts). */
export interface StoredAnswer {
  queryId: string;
  dataset: string;
  policyVersion: string;
  dataVersion: string;
  /** What the first answer was charged. */
  epsilon: number;
  delta: number;
  groupsReleased: number;
  groupsSuppressed: number;
  /** Group ids (`dimension:level`), sorted: the order of every row's keys. */
  groups: string[];
  rows: StoredRow[];
  noise: Record<string, NoiseInfo>;
  /** Half-width per aggregate id at `confidence`; for avg the numerator A of A / count. */
  halfWidth: Record<string, number>;
  confidence: number;
  /** When the row of suppressed groups was asked for; the row itself, if released, is in rows. */
  other?: StoredOther;
}

/** The 95% intervals of an answer (docs/privacy.md, "Accuracy"). */
export interface AnswerIntervals {
  confidence: number;
  /** count, count_units and sum: one half-width for every cell of the column. */
  halfWidth: Record<string, number>;
  /** avg only: one record per answer row, in row order, of each avg column's half-width. */
  perRow?: Record<string, number>[];
}

/** Identity of the stored answer and the metadata of the first answer. */
export interface StoredMeta {
  queryId: string;
  policyVersion: string;
  dataVersion: string;
}

/** The data version the enclave reports for a dataset. */
export function dataVersionOf(ctx: AnswerContext, dataset: string): string {
  return ctx.enclave.datasets.get(dataset)?.dataVersion ?? 'unknown';
}

/** The storage key of a query's answer for this buyer, policy and data. */
export function keyOf(ctx: AnswerContext, q: CheckedQuery, buyer: string): string {
  return answerKey(q, {
    buyer,
    policyVersion: q.policy.version,
    dataVersion: dataVersionOf(ctx, q.dataset),
  });
}

/** Indices of q.groupBy in sorted group-id order. */
function sortedGroupOrder(q: CheckedQuery): number[] {
  const ids = q.groupBy.map(groupId);
  return ids.map((_, i) => i).sort((a, b) => (ids[a]! < ids[b]! ? -1 : 1));
}

/** Builds the stored form of a fresh release. */
export function toStored(
  q: CheckedQuery,
  plan: QueryPlan,
  result: ReleaseResult,
  meta: StoredMeta,
): StoredAnswer {
  const order = sortedGroupOrder(q);
  const noise: Record<string, NoiseInfo> = {};
  const halfWidth: Record<string, number> = {};
  for (const agg of plan.aggregates) {
    const id = aggregateId(agg);
    noise[id] = result.noise[agg.alias]!;
    halfWidth[id] = aggregateHalfWidth(plan, agg, DEFAULT_CONFIDENCE);
  }
  const rows = result.rows.map((r): StoredRow => {
    const row: StoredRow = { keys: order.map((i) => r.keys[i] ?? null), values: {} };
    for (const a of q.aggregates) {
      row.values[aggregateId(a)] = r.values[a.alias]!;
      const d = r.denominators?.[a.alias];
      if (d !== undefined) (row.denominators ??= {})[aggregateId(a)] = d;
    }
    return row;
  });
  const stored: StoredAnswer = {
    ...meta,
    dataset: q.dataset,
    epsilon: plan.epsilonCharged,
    delta: plan.deltaCharged,
    groupsReleased: result.released,
    groupsSuppressed: result.suppressed,
    groups: order.map((i) => groupId(q.groupBy[i]!)),
    rows,
    noise,
    halfWidth,
    confidence: DEFAULT_CONFIDENCE,
  };
  if (plan.other) stored.other = storedOther(plan, result.other?.released === true);
  return stored;
}

/** The ledger row that stores an answer beside its charge. */
export function storedInput(key: string, buyer: string, stored: StoredAnswer): ReleasedAnswerInput {
  return {
    key,
    queryId: stored.queryId,
    buyer,
    dataset: stored.dataset,
    body: JSON.stringify(stored),
  };
}

type Row = QueryAnswer['rows'][number];

/** Rounds an interval for display; a half-width carries no data beyond the noisy values. */
function tidy(x: number): number {
  return Number(x.toPrecision(6));
}

function avgWidths(q: CheckedQuery, stored: StoredAnswer, r: StoredRow) {
  const widths: Record<string, number> = {};
  for (const a of q.aggregates) {
    if (a.fn !== 'avg') continue;
    const id = aggregateId(a);
    const bounds = q.policy.measures[a.measure!]!;
    const count = r.denominators?.[id] ?? 0;
    widths[a.alias] = tidy(avgHalfWidth(stored.halfWidth[id]!, count, bounds));
  }
  return widths;
}

/**
 * The rows, noise and intervals of a stored answer as this request spells
 * it: its group labels and aliases, then its orderBy and limit (both applied
 * after noise, so they cost nothing and need not be part of the key).
 */
export function shapeStored(q: CheckedQuery, stored: StoredAnswer) {
  const pos = q.groupBy.map((g) => stored.groups.indexOf(groupId(g)));
  let pairs = stored.rows.map((r) => {
    const row: Row = {};
    q.groupBy.forEach((g, i) => (row[g.label] = r.keys[pos[i]!] ?? null));
    for (const a of q.aggregates) row[a.alias] = r.values[aggregateId(a)] ?? null;
    return { row, widths: avgWidths(q, stored, r) };
  });
  if (q.orderBy.length) pairs.sort((a, b) => compareRows(a.row, b.row, q.orderBy));
  if (q.limit !== undefined) pairs = pairs.slice(0, q.limit);
  const noise: Record<string, NoiseInfo> = {};
  const intervals: AnswerIntervals = { confidence: stored.confidence, halfWidth: {} };
  for (const a of q.aggregates) {
    const id = aggregateId(a);
    noise[a.alias] = stored.noise[id]!;
    if (a.fn !== 'avg') intervals.halfWidth[a.alias] = stored.halfWidth[id]!;
  }
  if (q.aggregates.some((a) => a.fn === 'avg')) intervals.perRow = pairs.map((p) => p.widths);
  const other = stored.other ? shapeOther(q, stored.other) : undefined;
  return { rows: pairs.map((p) => p.row), noise, intervals, other };
}

/** Remaining buyer budget in the current period (a bureau's grant counts), as answers report it. */
export function remainingFor(ctx: AnswerContext, q: CheckedQuery, buyer: string) {
  return budgetStanding(ctx.store, q.policy, buyer, (ctx.now ?? (() => new Date()))());
}

/** The stored answer of this question for this buyer, if one was released. */
export async function findStored(
  ctx: AnswerContext,
  q: CheckedQuery,
  buyer: string,
): Promise<StoredAnswer | undefined> {
  const found = await ctx.store.findAnswer(keyOf(ctx, q, buyer));
  if (found === undefined) return undefined;
  let stored = parsedAnswers.get(found);
  if (stored === undefined) {
    stored = JSON.parse(found.body) as StoredAnswer;
    parsedAnswers.set(found, stored);
  }
  return stored;
}

/** Parsed bodies of the answers the store keeps in memory, read only, never changed. */
const parsedAnswers = new WeakMap<ReleasedAnswerInput, StoredAnswer>();

/**
 * Serves a repeated question from its stored answer: no enclave, no noise,
 * no charge. The repeat is still audited, as 'answered' with epsilon 0 and
 * `cachedFrom` naming the answer it repeats, and waits for that entry to be
 * durable before the numbers leave.
 */
export async function serveStored(
  ctx: AnswerContext,
  q: CheckedQuery,
  origin: QueryOrigin,
  stored: StoredAnswer,
): Promise<QueryAnswer> {
  const buyer = origin.principal.sub;
  const { period, remaining } = await remainingFor(ctx, q, buyer);
  const queryId = newQueryId();
  await ctx.store.audit.append({
    requestId: origin.requestId,
    queryId,
    buyer,
    role: origin.principal.role,
    route: origin.route,
    method: origin.method,
    status: 200,
    outcome: 'answered',
    dataset: q.dataset,
    period,
    query: origin.text,
    rewrittenSql: null,
    policyVersion: q.policy.version,
    epsilon: 0,
    delta: 0,
    groupsReleased: stored.groupsReleased,
    groupsSuppressed: stored.groupsSuppressed,
    cachedFrom: stored.queryId,
  });
  await ctx.store.durable();
  const shaped = shapeStored(q, stored);
  return {
    queryId,
    dataset: q.dataset,
    policyVersion: stored.policyVersion,
    dataVersion: stored.dataVersion,
    rows: shaped.rows,
    privacy: {
      epsilon: 0,
      delta: 0,
      remaining,
      groupsReleased: stored.groupsReleased,
    },
    noise: shaped.noise,
    intervals: shaped.intervals,
    ...(shaped.other ? { other: shaped.other } : {}),
    cached: { queryId: stored.queryId, epsilon: stored.epsilon, delta: stored.delta },
  };
}

/** Answers from storage when this buyer already asked the same question; else undefined. */
export async function answerRepeat(
  ctx: AnswerContext,
  q: CheckedQuery,
  origin: QueryOrigin,
): Promise<QueryAnswer | undefined> {
  const stored = await findStored(ctx, q, origin.principal.sub);
  return stored === undefined ? undefined : serveStored(ctx, q, origin, stored);
}
