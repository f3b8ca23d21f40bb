import type { VeilError } from '../../errors/registry.js';
import type { LoadedPolicy } from '../../policy/load.js';
import { allowedFunctions, allowedFunctionsText } from './subset.js';
import { child, list, sameName, str, walk, type Locator, type Node } from './tree.js';

/**
 * The first screening tier: whatever would let a query reach beyond its one
 * dataset table. Other tables, files, table functions, any function outside
 * the subset (getenv, read_text, ...), subqueries, CTEs and set operations.
 */

/** The dataset id a table name stands for; DuckDB matches names case-insensitively. */
export function datasetId(
  policies: ReadonlyMap<string, LoadedPolicy>,
  name: string,
): string | undefined {
  return [...policies.keys()].find((id) => sameName(id, name));
}

/** The refusal for a statement that is a query but not a plain SELECT (UNION and the like). */
export function notPlainSelect(loc: Locator, node: Node): VeilError {
  if (str(node, 'type') === 'SET_OPERATION_NODE') {
    const kw = str(node, 'setop_type').split('_')[0] || 'UNION';
    return loc.refuse(
      'VEIL_SQL_UNSUPPORTED',
      `${kw} and other set operations are not supported; send each SELECT as its own query`,
      loc.keyword(['UNION', 'EXCEPT', 'INTERSECT'], loc.fallback),
    );
  }
  return loc.refuse(
    'VEIL_SQL_UNSUPPORTED',
    'only a plain SELECT over one dataset is supported; remove WITH RECURSIVE and the like',
    loc.fallback,
  );
}

/** Calls outside the subset, subqueries and CTEs, anywhere in the statement. */
export function outsideCalls(loc: Locator, select: Node): VeilError[] {
  const out: VeilError[] = [];
  if (list(child(select, 'cte_map') ?? {}, 'map').length > 0) {
    out.push(
      loc.refuse(
        'VEIL_SQL_UNSUPPORTED',
        'WITH (common table expressions) is not supported; select from the dataset directly',
        loc.keyword(['WITH'], loc.fallback),
      ),
    );
  }
  for (const n of walk(select)) {
    const cls = str(n, 'class');
    if (cls === 'FUNCTION' && n.is_operator !== true && !allowedCall(n)) {
      out.push(
        loc.refuse(
          'VEIL_SQL_FORBIDDEN_FUNCTION',
          `${str(n, 'function_name')}() is not allowed; a query reads only its dataset table ` +
            `and may call only ${allowedFunctionsText}`,
          n,
        ),
      );
    } else if (cls === 'SUBQUERY') {
      out.push(
        loc.refuse(
          'VEIL_SQL_UNSUPPORTED',
          'subqueries are not supported; write one SELECT over the dataset',
          n,
        ),
      );
    }
  }
  return out;
}

function allowedCall(n: Node): boolean {
  const qualified = str(n, 'schema') !== '' || str(n, 'catalog') !== '';
  return !qualified && allowedFunctions.has(str(n, 'function_name'));
}

/**
 * Problems of the FROM clause, which must name one dataset table with no
 * schema, column alias list or time travel. `end` is where a missing FROM goes.
 */
export function sourceProblems(
  loc: Locator,
  table: Node,
  policies: ReadonlyMap<string, LoadedPolicy>,
  end: number,
): VeilError[] {
  const ids = [...policies.keys()].join(', ');
  const refuse = (code: 'VEIL_SQL_UNSUPPORTED', message: string, at: number) => [
    loc.refuse(code, message, at),
  ];
  switch (str(table, 'type')) {
    case 'BASE_TABLE':
      return baseTableProblems(loc, table, policies);
    case 'EMPTY':
      return [
        loc.refuse('VEIL_SQL_UNKNOWN_TABLE', `the query has no FROM; add FROM one of: ${ids}`, end),
      ];
    case 'JOIN':
      return refuse(
        'VEIL_SQL_UNSUPPORTED',
        'joins are not supported; query one dataset at a time',
        loc.own(table) ?? loc.of(child(table, 'right')),
      );
    case 'SHOW_REF':
      return [
        loc.refuse(
          'VEIL_SQL_NOT_SELECT',
          'DESCRIBE, SHOW and SUMMARIZE are not accepted; GET /v1/datasets describes each dataset',
          loc.fallback,
        ),
      ];
    case 'TABLE_FUNCTION':
      return [tableFunction(loc, table, ids)];
    default:
      return refuse(
        'VEIL_SQL_UNSUPPORTED',
        `FROM must name one dataset (${ids}), not a subquery, VALUES list or PIVOT`,
        loc.openParenBefore(loc.of(table)),
      );
  }
}

function tableFunction(loc: Locator, table: Node, ids: string): VeilError {
  const fn = child(table, 'function');
  return loc.refuse(
    'VEIL_SQL_FORBIDDEN_FUNCTION',
    `table functions such as ${str(fn ?? {}, 'function_name')}() are not allowed; ` +
      `select FROM one of: ${ids}`,
    fn ?? table,
  );
}

function baseTableProblems(
  loc: Locator,
  table: Node,
  policies: ReadonlyMap<string, LoadedPolicy>,
): VeilError[] {
  const name = str(table, 'table_name');
  const written = [str(table, 'catalog_name'), str(table, 'schema_name'), name].filter(Boolean);
  if (written.length > 1 || datasetId(policies, name) === undefined) {
    const ids = [...policies.keys()].join(', ');
    const message = `"${written.join('.')}" is not a dataset; select FROM one of: ${ids}`;
    return [loc.refuse('VEIL_SQL_UNKNOWN_TABLE', message, table)];
  }
  if (table.at_clause !== null && table.at_clause !== undefined) {
    return [
      loc.refuse('VEIL_SQL_UNSUPPORTED', 'AT (time travel) is not supported; drop it', table),
    ];
  }
  if (list(table, 'column_name_alias').length > 0) {
    return [
      loc.refuse(
        'VEIL_SQL_UNSUPPORTED',
        'column aliases on the table are not supported; use the dataset column names',
        table,
      ),
    ];
  }
  return [];
}
