import type { AggregateRequest } from '../../query/request.js';
import type { Scope } from './scope.js';
import { aggregateFunctions, levelFunctions } from './subset.js';
import { child, describe, list, nodes, sameName, str, type Node } from './tree.js';

/**
 * Reads the select list and GROUP BY: each selected expression is either a
 * dimension (a column, or a column through a level function) or one of the
 * four aggregates, and GROUP BY must name exactly the selected dimensions.
 */

/** One selected output column. */
export type SelectItem =
  | { kind: 'dimension'; entry: string; node: Node }
  | { kind: 'aggregate'; agg: AggregateRequest; output: string; node: Node };

/** Name of an aggregate's output column when it has no alias, as the policy check names it. */
export function defaultOutput(agg: AggregateRequest): string {
  return agg.column === undefined ? agg.fn : `${agg.fn}_${agg.column}`;
}

/**
 * The groupBy entry a dimension expression stands for: `borough` for a
 * column, `created:month` for `month(created)` or `date_trunc('month',
 * created)`; undefined when the expression is neither.
 */
export function dimensionEntry(scope: Scope, n: Node): string | undefined {
  const cls = str(n, 'class');
  if (cls === 'COLUMN_REF') return scope.column(n);
  if (cls !== 'FUNCTION' || n.is_operator === true) return undefined;
  const fn = str(n, 'function_name');
  if (fn !== 'date_trunc' && !levelFunctions.includes(fn)) return undefined;
  plainCall(scope, n);
  if (n.distinct === true) {
    throw scope.loc.refuse('VEIL_SQL_UNSUPPORTED', `${fn}() takes no DISTINCT; drop it`, n);
  }
  const args = list(n, 'children');
  const [level, column] = fn === 'date_trunc' ? [levelName(scope, n), args[1]] : [fn, args[0]];
  const arity = fn === 'date_trunc' ? 2 : 1;
  const col = typeof column === 'object' && !Array.isArray(column) ? column : undefined;
  if (args.length !== arity || !col || str(col, 'class') !== 'COLUMN_REF') {
    const example = fn === 'date_trunc' ? "date_trunc('month', created)" : `${fn}(created)`;
    throw scope.loc.refuse(
      'VEIL_SQL_UNSUPPORTED',
      `${fn}() takes one dimension column, as in ${example}`,
      n,
    );
  }
  return `${scope.column(col)}:${level}`;
}

function levelName(scope: Scope, n: Node): string {
  const first = nodes(n, 'children')[0];
  const value = first && str(first, 'class') === 'CONSTANT' ? child(first, 'value') : undefined;
  const text = value?.value;
  if (typeof text !== 'string' || str(child(value ?? {}, 'type') ?? {}, 'id') !== 'VARCHAR') {
    throw scope.loc.refuse(
      'VEIL_SQL_UNSUPPORTED',
      "date_trunc takes the level as a quoted name, as in date_trunc('month', created)",
      first ?? n,
    );
  }
  const level = text.toLowerCase();
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(level)) {
    throw scope.loc.refuse(
      'VEIL_QUERY_LEVEL_NOT_ALLOWED',
      `"${text}" is not a level; use one the dataset lists, such as 'day' or 'month'`,
      first,
    );
  }
  return level;
}

/** Refuses FILTER, ORDER BY and EXPORT_STATE, which no accepted call takes. */
function plainCall(scope: Scope, n: Node): void {
  const orders = list(child(n, 'order_bys') ?? {}, 'orders');
  if (child(n, 'filter') || orders.length > 0 || n.export_state === true) {
    throw scope.loc.refuse(
      'VEIL_SQL_UNSUPPORTED',
      `${describe(n)} takes no FILTER, ORDER BY or EXPORT_STATE; put conditions in WHERE`,
      n,
    );
  }
}

/** The aggregate a call stands for, or undefined when it is not an aggregate call. */
export function aggregateOf(scope: Scope, n: Node): AggregateRequest | undefined {
  if (str(n, 'class') !== 'FUNCTION' || n.is_operator === true) return undefined;
  const fn = str(n, 'function_name');
  if (!aggregateFunctions.includes(fn)) return undefined;
  plainCall(scope, n);
  const args = nodes(n, 'children');
  if (fn === 'count_star') {
    if (n.distinct === true)
      throw badAggregate(scope, n, 'COUNT(DISTINCT *) is not supported; write COUNT(*)');
    return { fn: 'count' };
  }
  const arg = args[0];
  if (args.length !== 1 || list(n, 'children').length !== 1 || !arg) {
    throw scope.loc.refuse('VEIL_SQL_UNSUPPORTED', `${fn.toUpperCase()} takes one argument`, n);
  }
  return fn === 'count' ? countOf(scope, n, arg) : measureAggregate(scope, n, arg, fn);
}

function countOf(scope: Scope, n: Node, arg: Node): AggregateRequest {
  const unit = scope.policy.privacyUnit.name;
  if (str(arg, 'class') !== 'COLUMN_REF') {
    throw scope.loc.refuse(
      'VEIL_SQL_AGGREGATE_EXPRESSION',
      'COUNT takes * or DISTINCT unit, not an expression; ' +
        `write COUNT(*) for rows or COUNT(DISTINCT unit) for ${unit}s`,
      arg,
    );
  }
  const written = scope.writtenName(arg);
  if (n.distinct === true && scope.unitNames().some((u) => sameName(u, written))) {
    return { fn: 'count_units' };
  }
  const name = scope.column(arg);
  const what = n.distinct === true ? `COUNT(DISTINCT ${name})` : `COUNT(${name})`;
  throw badAggregate(
    scope,
    arg,
    `${what} is not supported; write COUNT(*) for rows or COUNT(DISTINCT unit) for ${unit}s`,
  );
}

function measureAggregate(scope: Scope, n: Node, arg: Node, fn: string): AggregateRequest {
  const measures = Object.keys(scope.policy.measures).join(', ');
  if (str(arg, 'class') !== 'COLUMN_REF') {
    throw scope.loc.refuse(
      'VEIL_SQL_AGGREGATE_EXPRESSION',
      `${fn.toUpperCase()} takes a bare measure column (${measures}), not an expression; ` +
        'drop the arithmetic',
      arg,
    );
  }
  if (n.distinct === true) {
    throw badAggregate(
      scope,
      n,
      `${fn.toUpperCase()}(DISTINCT ...) is not supported; drop DISTINCT`,
    );
  }
  const name = fn === 'sum' || fn === 'median' ? fn : 'avg';
  return { fn: name, column: scope.column(arg) };
}

function badAggregate(scope: Scope, at: Node, message: string) {
  return scope.loc.refuse('VEIL_QUERY_BAD_AGGREGATE', message, at);
}

/** Reads each selected expression. */
export function selectItems(scope: Scope, select: Node): SelectItem[] {
  return nodes(select, 'select_list').map((n): SelectItem => {
    const alias = str(n, 'alias');
    const agg = aggregateOf(scope, n);
    if (agg) {
      const withAlias: AggregateRequest = alias ? { ...agg, as: alias } : agg;
      return { kind: 'aggregate', agg: withAlias, output: alias || defaultOutput(agg), node: n };
    }
    const entry = dimensionEntry(scope, n);
    if (entry === undefined) throw notAnOutput(scope, n);
    const column = entry.split(':')[0]!;
    if (scope.isMeasure(column)) {
      throw scope.loc.refuse(
        'VEIL_SQL_UNGROUPED_COLUMN',
        `"${column}" is a measure; select SUM(${column}) or AVG(${column}) instead of its values`,
        n,
      );
    }
    if (alias && alias !== entry) {
      throw scope.loc.refuse(
        'VEIL_SQL_UNSUPPORTED',
        `a dimension keeps its own name in answers ("${entry}"); drop "AS ${alias}"`,
        n,
      );
    }
    return { kind: 'dimension', entry, node: n };
  });
}

function notAnOutput(scope: Scope, n: Node) {
  const what = str(n, 'class') === 'CONSTANT' ? 'a literal' : describe(n);
  return scope.loc.refuse(
    'VEIL_SQL_UNSUPPORTED',
    `${what} is neither a dimension nor an aggregate; select dimensions such as borough ` +
      'or month(created), and COUNT(*), COUNT(DISTINCT unit), SUM(measure) or AVG(measure)',
    n,
  );
}

/**
 * Checks GROUP BY against the selected dimensions and returns the groupBy
 * entries in select-list order. GROUP BY ALL groups by every dimension.
 */
export function groupEntries(scope: Scope, select: Node, items: SelectItem[]): string[] {
  const dims = items.filter((i) => i.kind === 'dimension');
  const grouped = new Set<string>();
  if (str(select, 'aggregate_handling') === 'FORCE_AGGREGATES') {
    dims.forEach((d) => grouped.add(d.entry));
  }
  for (const g of nodes(select, 'group_expressions')) grouped.add(groupTarget(scope, g, items));
  for (const d of dims) {
    if (!grouped.has(d.entry)) {
      throw scope.loc.refuse(
        'VEIL_SQL_UNGROUPED_COLUMN',
        `"${d.entry}" is selected but not grouped; add it to GROUP BY`,
        d.node,
      );
    }
  }
  return dims.map((d) => d.entry);
}

/** The selected dimension a GROUP BY expression names: by position, by expression or by name. */
function groupTarget(scope: Scope, g: Node, items: SelectItem[]): string {
  const byPosition = ordinal(g);
  const mismatch = (what: string) =>
    scope.loc.refuse(
      'VEIL_SQL_GROUP_BY_MISMATCH',
      `GROUP BY ${what} is not a selected dimension; ` +
        'GROUP BY must list exactly the selected dimensions',
      g,
    );
  if (byPosition !== undefined) {
    const item = items[byPosition - 1];
    if (!item || item.kind !== 'dimension') throw mismatch(String(byPosition));
    return item.entry;
  }
  if (aggregateOf(scope, g)) throw mismatch(describe(g));
  const entry = dimensionEntry(scope, g);
  if (entry === undefined) throw mismatch(describe(g));
  if (!items.some((i) => i.kind === 'dimension' && i.entry === entry)) throw mismatch(`"${entry}"`);
  return entry;
}

const integerTypes = [
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
];

/** The value of a whole-number literal such as the 2 in `GROUP BY 2`, else undefined. */
export function ordinal(n: Node): number | undefined {
  if (str(n, 'class') !== 'CONSTANT') return undefined;
  const value = child(n, 'value');
  const type = str(child(value ?? {}, 'type') ?? {}, 'id');
  const v = value?.value;
  return integerTypes.includes(type) && typeof v === 'number' && Number.isSafeInteger(v)
    ? v
    : undefined;
}
