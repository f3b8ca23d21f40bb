import type { AggregateFn, FilterOp } from './request.js';
import type { LoadedPolicy } from '../policy/load.js';

/**
 * The checked query: what both front ends produce once the policy has
 * accepted a request. Every name in it is a policy name, every column an
 * enclave column the policy allows, so later stages trust it without
 * re-checking.
 */
export interface CheckedQuery {
  dataset: string;
  policy: LoadedPolicy;
  groupBy: CheckedGroup[];
  aggregates: CheckedAggregate[];
  filters: CheckedFilter[];
  epsilon: number;
  orderBy: { output: string; desc: boolean }[];
  limit: number | undefined;
  /**
   * True when the buyer asked for the row of suppressed groups (`"other": true`): part of
   * the question, so of its stored-answer key. Only set on queries that need selection.
   */
  otherRow?: boolean;
  /**
   * What the enclave proved about the dataset's columns when it opened (the
   * answer path sets it; other callers leave it out, which proves nothing).
   */
  proven?: ProvenColumns;
}

/**
 * Columns of a dataset the enclave found, by scanning them when it opened,
 * to hold no NULL (`nullFree`) or no NaN or infinity (`finite`). The enclave
 * is read-only, so what it proved then holds for every later query, and the
 * rewrite may leave out a filter or a guard that could not change a row.
 */
export interface ProvenColumns {
  nullFree: ReadonlySet<string>;
  finite: ReadonlySet<string>;
}

export interface CheckedGroup {
  /** The groupBy entry as the buyer wrote it: the key of this column in answer rows. */
  label: string;
  dimension: string;
  level: string;
  /** Enclave column holding the dimension at this level. */
  column: string;
  /** Keys released whatever the data holds, or undefined when the group needs thresholding. */
  publicKeys: string[] | undefined;
  nulls: 'group' | 'drop';
  /** Label of the row counting keys outside `publicKeys` (policy `other`); needs a list. */
  otherKey?: string;
}

/** The key of the row of suppressed groups when neither dimension nor policy names one. */
export const DEFAULT_OTHER_LABEL = 'OTHER';

/**
 * The key a grouped column carries in the row of suppressed groups: the dimension's `other`
 * label (which, on a level without a key list, has no other use), else the policy's
 * `otherLabel`, else OTHER.
 */
export function otherRowKey(q: Pick<CheckedQuery, 'policy'>, g: CheckedGroup): string {
  return g.otherKey ?? q.policy.otherLabel ?? DEFAULT_OTHER_LABEL;
}

/**
 * Groups need thresholding unless every grouped dimension has a public key
 * list and every filter is on such a dimension: a filter on a non-public key
 * makes even a public cell as narrow as that key, so it gets the k floor too.
 */
export function needsSelection(q: Omit<CheckedQuery, 'epsilon'>): boolean {
  const publicDim = (dim: string, level: string) =>
    q.policy.publicKeyLists[dim]?.[level] !== undefined;
  return (
    q.groupBy.some((g) => !g.publicKeys) || q.filters.some((f) => !publicDim(f.dimension, f.level))
  );
}

/** The "other" label of a grouped column, when it has a public key list and the policy has one. */
export function otherKeyOf(g: CheckedGroup): string | undefined {
  return g.publicKeys ? g.otherKey : undefined;
}

export interface CheckedAggregate {
  fn: AggregateFn;
  /** Measure name for sum and avg. */
  measure: string | undefined;
  alias: string;
}

export interface CheckedFilter {
  dimension: string;
  level: string;
  column: string;
  op: FilterOp;
  values: string[];
}

/** Enclave column name of a dimension at a level. */
export function dimensionColumn(
  dimension: string,
  level: string,
  levels: readonly string[],
): string {
  return levels.length === 1 ? dimension : `${dimension}_${level}`;
}

/** True when a key passes a filter: public key lists are restricted as SQL restricts rows. */
export function keyPasses(filter: CheckedFilter, key: string): boolean {
  const [a, b] = filter.values as [string, string | undefined];
  switch (filter.op) {
    case 'eq':
      return key === a;
    case 'in':
      return filter.values.includes(key);
    case 'between':
      return key >= a && key <= (b ?? a);
    case 'lt':
      return key < a;
    case 'lte':
      return key <= a;
    case 'gt':
      return key > a;
    case 'gte':
      return key >= a;
  }
}
