import { sql, type Expression, type SqlBool, type ExpressionBuilder } from 'kysely';
import type { CheckedFilter, CheckedQuery } from '../query/checked.js';
import { duckdbCompiler } from './compiler.js';

/** The enclave statement for a query, with the meaning of each result column. */
export interface EnclaveStatement {
  sql: string;
  params: readonly unknown[];
  /** Number of leading key columns (one per groupBy entry). */
  keyColumns: number;
  /** Measures whose grid sums and non-NULL counts follow the key, rows and units columns. */
  measures: string[];
}

/**
 * Builds the one statement the enclave runs for a checked query: keep each
 * unit's first `maxContributions` rows by the rank fixed at ingest, apply the
 * filters, group, and per group count rows, distinct units and, per measure,
 * the sum of clamped values on the integer grid and the count of non-NULL
 * values. Every value the buyer supplied is a bound parameter.
 */
export function rewrite(q: CheckedQuery): EnclaveStatement {
  const measures = [...new Set(q.aggregates.flatMap((a) => (a.measure ? [a.measure] : [])))];
  let query = duckdbCompiler
    .selectFrom(q.dataset)
    .where('row_rank', '<=', q.policy.contribution.maxContributions);
  for (const f of q.filters) query = query.where((eb) => filterExpr(eb, f));
  for (const g of q.groupBy) {
    if (g.nulls === 'drop') query = query.where(g.column, 'is not', null);
  }
  const keys = q.groupBy.map((g, i) => sql.ref(g.column).as(`k${i}`));
  const grid = measures.flatMap((m, i) => {
    const { lower, upper, granularity } = q.policy.measures[m]!;
    const clamped = sql`least(greatest(${sql.ref(m)}, ${lower}), ${upper})`;
    return [
      sql<bigint>`cast(sum(round(${clamped} / ${granularity})) as bigint)`.as(`s${i}`),
      sql<bigint>`count(${sql.ref(m)})`.as(`n${i}`),
    ];
  });
  let select = query.select([
    ...keys,
    sql<bigint>`count(*)`.as('rows'),
    sql<bigint>`count(distinct unit_id)`.as('units'),
    ...grid,
  ]);
  if (keys.length) select = select.groupBy(q.groupBy.map((_g, i) => sql.ref(`k${i}`)));
  const compiled = select.compile();
  return { sql: compiled.sql, params: compiled.parameters, keyColumns: q.groupBy.length, measures };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function filterExpr(eb: ExpressionBuilder<any, any>, f: CheckedFilter): Expression<SqlBool> {
  const col = eb.ref(f.column);
  switch (f.op) {
    case 'eq':
      return eb(col, '=', f.values[0]);
    case 'in':
      return eb(col, 'in', f.values);
    case 'between':
      return eb.between(col, f.values[0], f.values[1]);
    case 'lt':
      return eb(col, '<', f.values[0]);
    case 'lte':
      return eb(col, '<=', f.values[0]);
    case 'gt':
      return eb(col, '>', f.values[0]);
    case 'gte':
      return eb(col, '>=', f.values[0]);
  }
}
