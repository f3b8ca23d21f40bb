import { createHash } from 'node:crypto';
import { canonicalJson } from '../shared/canonical-json.js';
import type { CheckedAggregate, CheckedFilter, CheckedGroup, CheckedQuery } from './checked.js';

/**
 * The normalized form of a checked query: what the question asks, with
 * every difference of spelling removed. Two requests with the same normal
 * form ask the same question, so the second gets the first's noisy answer
 * (invariant 8, no free averaging). Removed:
 * - group order and spelling: `borough` and `borough:borough` are one
 *   dimension at one level, and groups are sorted by dimension;
 * - aggregate order, duplicates and aliases: an alias renames an output
 *   column only, so an aggregate is its function and measure;
 * - filter order and IN-list order (an IN of one value is already `eq`);
 * - the front end: JSON and SQL produce the same checked query.
 * Kept: the dataset, the epsilon (a different epsilon buys a different
 * answer), every filter value, and the row of suppressed groups when asked
 * (it changes the plan, the tau and the rows). `orderBy` and `limit` are
 * left out: they apply after noise, to the stored answer.
 */
export interface NormalQuery {
  dataset: string;
  groups: string[];
  aggregates: string[];
  filters: { column: string; op: string; values: string[] }[];
  epsilon: number;
  /** Present only when asked, so the keys of every question without it stay as they were. */
  other?: true;
}

/** Whose answer it is: a stored answer is reused only under the same policy and data. */
export interface AnswerScope {
  buyer: string;
  policyVersion: string;
  dataVersion: string;
}

/** A grouped column's identity, independent of how the buyer spelled it. */
export function groupId(g: Pick<CheckedGroup, 'dimension' | 'level'>): string {
  return `${g.dimension}:${g.level}`;
}

/** An aggregate's identity without its alias: `count`, `count_units`, `sum:x`, `avg:x`. */
export function aggregateId(a: {
  fn: CheckedAggregate['fn'];
  measure?: string | undefined;
}): string {
  return a.measure === undefined ? a.fn : `${a.fn}:${a.measure}`;
}

function normalFilter(f: CheckedFilter): NormalQuery['filters'][number] {
  const values = f.op === 'in' ? [...new Set(f.values)].sort() : f.values;
  return { column: groupId(f), op: f.op, values };
}

/** The normal form of a checked query. */
export function normalizeQuery(q: CheckedQuery): NormalQuery {
  const filters = q.filters.map(normalFilter);
  const keyed = filters.map((f) => [canonicalJson(f), f] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const unique = [...new Map(keyed).values()];
  const normal: NormalQuery = {
    dataset: q.dataset,
    groups: q.groupBy.map(groupId).sort(),
    aggregates: [...new Set(q.aggregates.map(aggregateId))].sort(),
    filters: unique,
    epsilon: q.epsilon,
  };
  if (q.otherRow === true) normal.other = true;
  return normal;
}

/** The key a released answer is stored under: sha256 of the normal form and its scope. */
export function answerKey(q: CheckedQuery, scope: AnswerScope): string {
  const text = canonicalJson({ scope, query: normalizeQuery(q) });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
