import type { ZodIssue } from 'zod';
import { VeilError } from '../../errors/registry.js';
import { queryRequest, type QueryRequest } from '../../query/request.js';
import { limitOf, orderEntries } from './order.js';
import type { Scope } from './scope.js';
import { groupEntries, selectItems } from './select.js';
import { child, nodes, type Node } from './tree.js';
import { whereFilters } from './where.js';

/**
 * Turns a screened SELECT into the JSON front end's QueryRequest, and
 * remembers where in the text each part of the request came from, so that
 * a refusal about request path `filters.1.column` can point at the text.
 */

/** Text positions (code points) keyed by request path, e.g. `filters.1.column`. */
export type Positions = Record<string, number>;

/** A request and where its parts are in the SQL text. */
export interface Translation {
  request: QueryRequest;
  positions: Positions;
}

/** Reads a screened SELECT; `epsilon` comes from the request body, not from the SQL. */
export function translate(scope: Scope, select: Node, epsilon: number | undefined): Translation {
  const { loc } = scope;
  const positions: Positions = {};
  const at = (path: string, n: Node | number | undefined) => {
    positions[path] = typeof n === 'number' ? n : loc.of(n);
  };
  at('dataset', child(select, 'from_table'));

  const items = selectItems(scope, select);
  const groupBy = groupEntries(scope, select, items);
  const dims = items.filter((i) => i.kind === 'dimension');
  const firstGroup = nodes(select, 'group_expressions')[0];
  at('groupBy', loc.keyword(['GROUP'], loc.of(firstGroup ?? dims[0]?.node)));
  dims.forEach((d, i) => at(`groupBy.${i}`, d.node));

  const aggs = items.filter((i) => i.kind === 'aggregate');
  if (aggs.length === 0) {
    throw loc.refuse(
      'VEIL_SQL_UNSUPPORTED',
      'the query selects no aggregate; ' +
        'add COUNT(*), COUNT(DISTINCT unit), SUM(measure) or AVG(measure)',
      items[0]?.node ?? loc.fallback,
    );
  }
  at('aggregates', aggs[0]!.node);
  aggs.forEach((a, i) => {
    at(`aggregates.${i}`, a.node);
    at(`aggregates.${i}.column`, nodes(a.node, 'children')[0] ?? a.node);
  });

  const where = child(select, 'where_clause');
  const filters = whereFilters(scope, where);
  if (where) at('filters', loc.keyword(['WHERE'], loc.of(where)));
  filters.forEach((f, i) => {
    at(`filters.${i}`, f.column);
    at(`filters.${i}.column`, f.column);
    at(`filters.${i}.value`, f.values[0]);
    at(`filters.${i}.values`, f.values[0]);
    f.values.forEach((v, j) => at(`filters.${i}.values.${j}`, v));
  });

  const orders = orderEntries(scope, select, items);
  if (orders.length > 0) at('orderBy', loc.keyword(['ORDER'], loc.of(orders[0]!.node)));
  orders.forEach((o, i) => {
    at(`orderBy.${i}`, o.node);
    at(`orderBy.${i}.column`, o.node);
  });
  const limit = limitOf(scope, select);
  if (limit) at('limit', limit.node);

  const input = {
    dataset: scope.policy.dataset,
    groupBy,
    aggregates: aggs.map((a) => a.agg),
    filters: filters.map((f) => f.filter),
    ...(epsilon === undefined ? {} : { epsilon }),
    ...(orders.length > 0 ? { orderBy: orders.map((o) => o.order) } : {}),
    ...(limit ? { limit: limit.limit } : {}),
  };
  const parsed = queryRequest.safeParse(input);
  if (!parsed.success) throw schemaError(parsed.error.issues[0], positions);
  return { request: parsed.data, positions };
}

/** The position recorded for a request path, or for the nearest enclosing path. */
export function positionOf(
  positions: Positions,
  path: readonly (string | number)[] | undefined,
): number | undefined {
  for (let k = path?.length ?? 0; k > 0; k -= 1) {
    const key = path!.slice(0, k).join('.');
    if (Object.hasOwn(positions, key)) return positions[key];
  }
  return undefined;
}

/** The rule each request field follows, in SQL terms, for schema refusals. */
const rules: Record<string, string> = {
  groupBy: 'group by at most 8 dimensions',
  aggregates: 'select at most 8 aggregates',
  as: 'an alias must start with a letter or _ and hold only letters, digits and _, 63 at most',
  filters: 'write at most 16 conditions in WHERE',
  value: 'a literal may be at most 200 characters long',
  values: 'an IN list may hold at most 1000 literals, each at most 200 characters long',
  column: 'a column name may be at most 100 characters long',
  limit: 'LIMIT takes a whole number from 1 to 100000',
  epsilon: 'epsilon must be a positive number',
  orderBy: 'order by at most 8 columns',
};

function schemaError(issue: ZodIssue | undefined, positions: Positions): VeilError {
  const path = (issue?.path ?? []).filter(
    (p): p is string | number => typeof p === 'string' || typeof p === 'number',
  );
  const field = [...path].reverse().find((p): p is string => typeof p === 'string') ?? '';
  const rule = rules[field] ?? 'the query does not fit the query schema';
  const position = positionOf(positions, path);
  return new VeilError('VEIL_QUERY_INVALID', `${rule} (${issue?.message ?? 'invalid'})`, {
    path,
    ...(position === undefined ? {} : { position }),
  });
}
