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
