import type { FilterOp, FilterRequest } from '../../query/request.js';
import type { Scope } from './scope.js';
import { aggregateOf, dimensionEntry } from './select.js';
import { child, describe, isNode, list, nodes, str, type Node } from './tree.js';

/**
 * Reads WHERE: conditions joined by AND, each comparing one dimension (or
 * a level of it) with literal values. Anything else would let a buyer
 * filter on something the policy does not release, so it is refused.
 */

/** A filter with the nodes its parts came from, for error positions. */
export interface ReadFilter {
  filter: FilterRequest;
  column: Node;
  values: Node[];
}

const comparisons: Record<string, FilterOp> = {
  COMPARE_EQUAL: 'eq',
  COMPARE_LESSTHAN: 'lt',
  COMPARE_LESSTHANOREQUALTO: 'lte',
  COMPARE_GREATERTHAN: 'gt',
  COMPARE_GREATERTHANOREQUALTO: 'gte',
};

/** The same comparison with its sides swapped: `'2022' < year(x)` is `year(x) > '2022'`. */
const mirrored: Record<FilterOp, FilterOp> = {
  eq: 'eq',
  lt: 'gt',
  lte: 'gte',
  gt: 'lt',
  gte: 'lte',
  in: 'in',
  between: 'between',
};

const shapeHint =
  'WHERE takes conditions joined by AND, ' +
  'each comparing a dimension with literals (=, IN, BETWEEN, <, <=, >, >=)';

/** The filters of a WHERE clause, in the order written. */
export function whereFilters(scope: Scope, where: Node | undefined): ReadFilter[] {
  return conjuncts(where).map((c) => readCondition(scope, c));
}

/** The AND-ed conditions of a clause, flattened, without recursion. */
function conjuncts(where: Node | undefined): Node[] {
  const out: Node[] = [];
  const stack = where ? [where] : [];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (str(n, 'type') === 'CONJUNCTION_AND') {
      const children = nodes(n, 'children');
      for (let i = children.length - 1; i >= 0; i -= 1) stack.push(children[i]!);
    } else {
      out.push(n);
    }
  }
  return out;
}

function readCondition(scope: Scope, c: Node): ReadFilter {
  const type = str(c, 'type');
  const op = comparisons[type];
  if (op) return readComparison(scope, c, op);
  if (type === 'COMPARE_IN') {
    const [column, ...values] = list(c, 'children').filter(isNode);
    return readFilter(scope, c, column, 'in', values);
  }
  if (type === 'COMPARE_BETWEEN') {
    const values = [child(c, 'lower'), child(c, 'upper')].filter((v): v is Node => v !== undefined);
    return readFilter(scope, c, child(c, 'input'), 'between', values);
  }
  throw scope.loc.refuse(...refusalFor(type), scope.loc.own(c) ?? scope.loc.of(c));
}

function refusalFor(type: string): ['VEIL_SQL_UNSUPPORTED' | 'VEIL_QUERY_BAD_FILTER', string] {
  if (type === 'CONJUNCTION_OR') {
    return [
      'VEIL_SQL_UNSUPPORTED',
      'OR is not supported; ' +
        'use IN for alternatives of one dimension, or send one query per alternative',
    ];
  }
  if (type === 'OPERATOR_IS_NULL' || type === 'OPERATOR_IS_NOT_NULL') {
    return [
      'VEIL_QUERY_BAD_FILTER',
      'IS NULL is not supported; NULL keys form their own group or are dropped, as the policy says',
    ];
  }
  if (['OPERATOR_NOT', 'COMPARE_NOT_IN', 'COMPARE_NOTEQUAL'].includes(type)) {
    return [
      'VEIL_SQL_UNSUPPORTED',
      'NOT, <> and != are not supported; list the keys you want with = or IN',
    ];
  }
  return ['VEIL_SQL_UNSUPPORTED', `${shapeHint}; this condition is not one of those`];
}

/** `dim op literal` or `literal op dim`. */
function readComparison(scope: Scope, c: Node, op: FilterOp): ReadFilter {
  const left = child(c, 'left');
  const right = child(c, 'right');
  if (left && right && isLiteral(left) && !isLiteral(right)) {
    return readFilter(scope, c, right, mirrored[op], [left]);
  }
  return readFilter(scope, c, left, op, right ? [right] : []);
}

function isLiteral(n: Node): boolean {
  return str(n, 'class') === 'CONSTANT';
}

function readFilter(
  scope: Scope,
  c: Node,
  column: Node | undefined,
  op: FilterOp,
  values: Node[],
): ReadFilter {
  if (!column || values.length === 0) throw scope.loc.refuse('VEIL_SQL_UNSUPPORTED', shapeHint, c);
  if (aggregateOf(scope, column) || values.some((v) => aggregateOf(scope, v))) {
    throw scope.loc.refuse(
      'VEIL_SQL_UNSUPPORTED',
      'a condition on an aggregate is not supported; WHERE filters rows by dimension keys',
      c,
    );
  }
  const entry = dimensionEntry(scope, column);
  if (entry === undefined) {
    throw scope.loc.refuse(
      'VEIL_SQL_UNSUPPORTED',
      `${describe(column)} is not a dimension; ${shapeHint}`,
      column,
    );
  }
  const keys = values.map((v) => literalKey(scope, v));
  const filter: FilterRequest =
    op === 'in' || op === 'between'
      ? { column: entry, op, values: keys }
      : { column: entry, op, value: keys[0]! };
  return { filter, column, values };
}

const wholeTypes = [
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
];

/** A literal as the key string it is compared with; keys are strings in Veil. */
function literalKey(scope: Scope, n: Node): string {
  const cls = str(n, 'class');
  if (cls === 'COLUMN_REF' || (cls === 'FUNCTION' && dimensionEntry(scope, n) !== undefined)) {
    throw scope.loc.refuse(
      'VEIL_SQL_UNSUPPORTED',
      'comparing two columns is not supported; compare a dimension with literal values',
      n,
    );
  }
  const bad = (why: string) => scope.loc.refuse('VEIL_QUERY_BAD_FILTER', why, n);
  if (cls !== 'CONSTANT') {
    throw bad(`${describe(n)} is not a literal; write the value as '2022-11', 'BRONX' or 10001`);
  }
  const value = child(n, 'value') ?? {};
  if (value.is_null === true) {
    throw bad('NULL is not a key; compare with a quoted string or a number');
  }
  const type = child(value, 'type') ?? {};
  const id = str(type, 'id');
  const v = value.value;
  if (id === 'VARCHAR' && typeof v === 'string') return v;
  if (wholeTypes.includes(id) && typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if ((id === 'DOUBLE' || id === 'FLOAT') && typeof v === 'number' && Number.isFinite(v)) {
    return String(v);
  }
  const scale = child(type, 'type_info')?.scale;
  if (
    id === 'DECIMAL' &&
    typeof v === 'number' &&
    Number.isSafeInteger(v) &&
    typeof scale === 'number'
  ) {
    return decimalText(v, scale);
  }
  throw bad('the value must be a quoted string or a number of at most 15 digits');
}

/** The text of a DECIMAL literal stored as an integer and a scale: 350, 2 -> "3.50". */
function decimalText(units: number, scale: number): string {
  const digits = String(Math.abs(units)).padStart(scale + 1, '0');
  const sign = units < 0 ? '-' : '';
  if (scale <= 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
