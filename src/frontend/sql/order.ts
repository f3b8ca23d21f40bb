import type { OrderRequest } from '../../query/request.js';
import type { Scope } from './scope.js';
import { aggregateOf, dimensionEntry, ordinal, type SelectItem } from './select.js';
import { child, describe, nodes, sameName, shape, str, type Node } from './tree.js';

/**
 * Reads ORDER BY and LIMIT. Both act on the noisy answer rows after noise
 * is added, so they cost no budget; they may name only output columns.
 */

/** An ORDER BY entry with the node it came from. */
export interface ReadOrder {
  order: OrderRequest;
  node: Node;
}

/** The ORDER BY entries of a SELECT, by output name. */
export function orderEntries(scope: Scope, select: Node, items: SelectItem[]): ReadOrder[] {
  const modifier = nodes(select, 'modifiers').find((m) => str(m, 'type') === 'ORDER_MODIFIER');
  return nodes(modifier ?? {}, 'orders').map((o) => {
    const node = child(o, 'expression') ?? o;
    if (str(o, 'null_order') !== 'ORDER_DEFAULT') {
      throw scope.loc.refuse(
        'VEIL_SQL_UNSUPPORTED',
        'NULLS FIRST and NULLS LAST are not supported; drop them',
        node,
      );
    }
    const desc = str(o, 'type') === 'DESCENDING';
    return { order: { column: orderTarget(scope, node, items), desc }, node };
  });
}

/**
 * The output column an ORDER BY expression names: by position, by alias or
 * output name, by the selected expression itself. A name that is none of
 * these is passed on as written, and the policy check refuses it.
 */
function orderTarget(scope: Scope, n: Node, items: SelectItem[]): string {
  const position = ordinal(n);
  if (position !== undefined) {
    const item = items[position - 1];
    if (!item) {
      throw scope.loc.refuse(
        'VEIL_SQL_UNSUPPORTED',
        `ORDER BY ${position}: the query has ${items.length} output columns`,
        n,
      );
    }
    return output(item);
  }
  if (str(n, 'class') === 'COLUMN_REF') {
    const parts = scope.columnParts(n);
    const named = items.find((i) => parts.length === 1 && sameName(output(i), parts[0]!));
    if (named) return output(named);
    if (parts.length === 1 && scope.known(parts[0]!) === undefined) {
      throw scope.loc.refuse(
        'VEIL_QUERY_UNKNOWN_COLUMN',
        `ORDER BY "${parts[0]}" is not an output column; ` +
          `order by one of: ${items.map(output).join(', ')}`,
        n,
      );
    }
  }
  if (aggregateOf(scope, n)) {
    const same = items.find((i) => i.kind === 'aggregate' && shape(i.node) === shape(n));
    if (same) return output(same);
    throw scope.loc.refuse(
      'VEIL_SQL_UNSUPPORTED',
      `ORDER BY ${describe(n)}: only output columns can be ordered by; select the aggregate first`,
      n,
    );
  }
  const entry = dimensionEntry(scope, n);
  if (entry !== undefined) return entry;
  throw scope.loc.refuse(
    'VEIL_SQL_UNSUPPORTED',
    'ORDER BY takes output columns, by name or by position (ORDER BY 2 DESC)',
    n,
  );
}

function output(item: SelectItem): string {
  return item.kind === 'dimension' ? item.entry : item.output;
}

/** LIMIT n, or undefined when there is none (LIMIT ALL counts as none). */
export function limitOf(scope: Scope, select: Node): { limit: number; node: Node } | undefined {
  const modifier = nodes(select, 'modifiers').find((m) => str(m, 'type') === 'LIMIT_MODIFIER');
  const node = modifier ? child(modifier, 'limit') : undefined;
  if (!node) return undefined;
  if (child(node, 'value')?.is_null === true && str(node, 'class') === 'CONSTANT') return undefined;
  const limit = ordinal(node);
  if (limit === undefined) {
    throw scope.loc.refuse(
      'VEIL_SQL_UNSUPPORTED',
      'LIMIT takes a whole number, as in LIMIT 10',
      node,
    );
  }
  return { limit, node };
}
