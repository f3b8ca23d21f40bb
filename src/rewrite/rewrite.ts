import { sql, type Expression, type SqlBool, type ExpressionBuilder } from 'kysely';
import {
  otherKeyOf,
  type CheckedFilter,
  type CheckedGroup,
  type CheckedQuery,
} from '../query/checked.js';
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

/** What the release needs from the enclave beyond rows and measures. */
export interface RewriteOptions {
  /**
   * Count distinct units per group. Only selection and `count_units` use
   * that count, and it is by far the dearest part of the statement (a hash
   * of every kept unit id per group), so a query that needs neither gets a
   * constant 0 in its place.
   */
  units: boolean;
  /**
   * Count rows per group. Only the `count` aggregate reads that count; a
   * query without one gets a constant 0 in its place. Counted when absent.
   */
  rows?: boolean;
}

/**
 * Builds the one statement the enclave runs for a checked query: keep each
 * unit's first `maxContributions` rows by the rank fixed at ingest, apply the
 * filters, group, and per group count rows, distinct units (when asked) and,
 * per measure, the sum of clamped values on the integer grid and the count
 * of non-NULL values. Every value the buyer supplied is a bound parameter.
 */
export function rewrite(q: CheckedQuery, opts: RewriteOptions = { units: true }): EnclaveStatement {
  const key = statementKey(q, opts);
  const kept = built.get(key);
  if (kept !== undefined) return kept;
  const stmt = Object.freeze(build(q, opts));
  built.set(key, stmt);
  if (built.size > STATEMENTS_KEPT) built.delete(built.keys().next().value!);
  return stmt;
}

/** Enclave statements kept by rewrite(), by what they are built from. */
const STATEMENTS_KEPT = 2000;
const built = new Map<string, EnclaveStatement>();

/**
 * Everything rewrite() reads from a query, so that two queries with the same
 * key get the same statement: building one with Kysely cost more than the
 * rest of the query's work outside the enclave, and buyers ask the same
 * shapes again with other epsilons, orders or aliases, none of which the
 * statement depends on.
 */
function statementKey(q: CheckedQuery, opts: RewriteOptions): string {
  const measures = q.aggregates.flatMap((a) => (a.measure ? [a.measure] : []));
  return JSON.stringify([
    q.dataset,
    q.policy.contribution.maxContributions,
    opts.units,
    opts.rows ?? true,
    q.groupBy.map((g) => nullFree(q, g.column)),
    measures.map((m) => finiteKnown(q, m)),
    q.groupBy.map((g) => [g.column, g.nulls, otherKeyOf(g) ?? null, g.publicKeys ?? null]),
    q.filters.map((f) => [f.column, f.op, f.values]),
    measures.map((m) => [m, q.policy.measures[m]]),
  ]);
}

function build(q: CheckedQuery, opts: RewriteOptions): EnclaveStatement {
  const measures = measuresOf(q);
  const query = keptRows(q);
  const keys = q.groupBy.map((g, i) => keyExpr(g).as(`k${i}`));
  let select = query.select([...keys, ...cellAggregates(q, measures, opts)]);
  if (keys.length) select = select.groupBy(q.groupBy.map((_g, i) => sql.ref(`k${i}`)));
  const compiled = select.compile();
  return { sql: compiled.sql, params: compiled.parameters, keyColumns: q.groupBy.length, measures };
}

/** Measures some sum or avg (or quantile) of the query reads, in request order, once each. */
export function measuresOf(q: CheckedQuery): string[] {
  return [...new Set(q.aggregates.flatMap((a) => (a.measure ? [a.measure] : [])))];
}

/**
 * What every statement of a query computes per cell, in result order: rows,
 * distinct units (or a constant 0), then per measure its grid sum and its
 * non-NULL count.
 */
export function cellAggregates(q: CheckedQuery, measures: string[], opts: RewriteOptions) {
  const grid = measures.flatMap((m, i) => {
    const { lower, upper, granularity } = q.policy.measures[m]!;
    const { finite, clamped } = clampedValue(m, lower, upper, finiteKnown(q, m));
    const steps = granularity === 1 ? clamped : sql`${clamped} / ${granularity}`;
    return [
      sql<number>`sum(round(${steps}))`.as(`s${i}`),
      sql<bigint>`count(${finite})`.as(`n${i}`),
    ];
  });
  return [
    (opts.rows === false ? sql<bigint>`0` : sql<bigint>`count(*)`).as('rows'),
    (opts.units ? sql<bigint>`count(distinct unit_id)` : sql<bigint>`0`).as('units'),
    ...grid,
  ];
}

/**
 * The rows a query aggregates: each unit's first `maxContributions` rows by
 * the rank fixed at ingest, the filters, and no NULL key where the policy
 * drops them. Every enclave statement of a query starts from these rows.
 */
export function keptRows(q: CheckedQuery) {
  let query = duckdbCompiler
    .selectFrom(q.dataset)
    .where('row_rank', '<=', q.policy.contribution.maxContributions);
  for (const f of q.filters) query = query.where((eb) => filterExpr(eb, f));
  for (const g of q.groupBy) {
    if (g.nulls === 'drop' && !nullFree(q, g.column)) query = query.where(g.column, 'is not', null);
  }
  return query;
}

/** True when the enclave proved `column` holds no NULL (see ProvenColumns). */
function nullFree(q: CheckedQuery, column: string): boolean {
  return q.proven?.nullFree.has(column) === true;
}

/** True when the enclave proved `measure` holds no NaN or infinity (see ProvenColumns). */
export function finiteKnown(q: CheckedQuery, measure: string): boolean {
  return q.proven?.finite.has(measure) === true;
}

/**
 * A measure's value as summed: NULL unless finite, then clamped. DuckDB
 * orders NaN above every number, so a clamp would turn NaN (and ±inf) into
 * a bound: non-finite values become NULL before clamping, unless the
 * enclave proved the column has none (`finiteKnown`), when the guard could
 * not change a value. The clamp is a CASE, which DuckDB runs in about half
 * the time of least(greatest(...)); NULL passes through it as NULL.
 */
export function clampedValue(measure: string, lower: number, upper: number, finiteKnown = false) {
  const v = sql.ref(measure);
  const finite = finiteKnown ? v : sql`(case when isfinite(${v}) then ${v} end)`;
  const below = sql`when ${finite} < ${lower} then ${lower}`;
  const above = sql`when ${finite} > ${upper} then ${upper}`;
  const clamped = sql`(case ${below} ${above} else ${finite} end)`;
  return { finite, clamped };
}

/**
 * A grouped column's key. With a policy "other" label, every non-NULL key
 * outside the public list becomes that label inside the enclave, so the
 * "other" row's distinct units are counted exactly (a unit in two unlisted
 * keys counts once), as the release threshold needs.
 */
export function keyExpr(g: CheckedGroup) {
  const other = otherKeyOf(g);
  if (other === undefined) return sql.ref(g.column);
  const key = sql`cast(${sql.ref(g.column)} as varchar)`;
  const keys = g.publicKeys!.map((k) => sql`${k}`);
  const listed = keys.length ? sql`when ${key} in (${sql.join(keys)}) then ${key}` : sql``;
  return sql`(case when ${key} is null then null ${listed} else ${other} end)`;
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
