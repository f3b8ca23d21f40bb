import { sql, type AliasedExpression, type Expression } from 'kysely';
import { quantileGrid } from '../privacy/quantile.js';
import type { TrueGroup } from '../privacy/types.js';
import type { CheckedQuery } from '../query/checked.js';
import { clampedValue, finiteKnown, keptRows, keyExpr } from './rewrite.js';

/** The enclave statement that counts one measure's clamped values per group and bin. */
export interface HistogramStatement {
  sql: string;
  params: readonly unknown[];
  measure: string;
  /** Number of leading key columns; then the bin index and its count. */
  keyColumns: number;
  bins: number;
}

/** Measures some median or p90 of the query is taken of, in request order. */
export function quantileMeasures(q: CheckedQuery): string[] {
  const quantiles = q.aggregates.filter((a) => a.fn === 'median' || a.fn === 'p90');
  return [...new Set(quantiles.map((a) => a.measure!))];
}

/**
 * Per group, how many kept rows have their clamped value in each bin of the
 * measure's quantile grid (src/privacy/quantile.ts). The rows are exactly
 * the main statement's (same rank filter, filters, NULL keys and "other"
 * labels), and a non-finite or NULL value is in no bin, as it is in no sum.
 * The bin of a value is floor(round((v - lower) / g) / W), capped at B - 1;
 * every number is a bound parameter.
 */
export function histogramStatement(q: CheckedQuery, measure: string): HistogramStatement {
  const keys = q.groupBy.map((g, i) => keyExpr(g).as(`k${i}`));
  const refs = q.groupBy.map((_g, i) => sql.ref(`k${i}`));
  return histogramOver(q, measure, keptRows(q), keys, refs);
}

/**
 * The histogram of `measure` over `rows` (the kept rows of a query, or a
 * subset of them), per bin and per `keys` (none: one histogram for all).
 */
export function histogramOver(
  q: CheckedQuery,
  measure: string,
  rows: ReturnType<typeof keptRows>,
  keys: AliasedExpression<unknown, string>[],
  refs: Expression<unknown>[],
): HistogramStatement {
  const bounds = q.policy.measures[measure]!;
  const grid = quantileGrid(bounds);
  const { finite, clamped } = clampedValue(
    measure,
    bounds.lower,
    bounds.upper,
    finiteKnown(q, measure),
  );
  const steps = sql`round((${clamped} - ${bounds.lower}) / ${bounds.granularity})`;
  const binOf = sql<bigint>`cast(floor(${steps} / ${grid.stepsPerBin}) as bigint)`;
  const bin = sql<bigint>`least(${grid.bins - 1}, ${binOf})`;
  const compiled = rows
    .where(sql<boolean>`${finite} is not null`)
    .select([...keys, bin.as('bin'), sql<bigint>`count(*)`.as('n')])
    .groupBy([...refs, sql.ref('bin')])
    .compile();
  return {
    sql: compiled.sql,
    params: compiled.parameters,
    measure,
    keyColumns: keys.length,
    bins: grid.bins,
  };
}

/**
 * Adds each histogram to the group with the same keys. Every row of a
 * histogram belongs to a group of the main statement (its rows are a subset),
 * so a key not found there is an enclave fault, not data.
 */
export function attachHistogram(
  groups: TrueGroup[],
  stmt: HistogramStatement,
  rows: unknown[][],
): void {
  const byKey = new Map(groups.map((g) => [JSON.stringify(g.keys), g]));
  const fresh = new Map<string, bigint[]>();
  for (const r of rows) {
    const keys = r.slice(0, stmt.keyColumns).map((k) => (k === null ? null : String(k)));
    const id = JSON.stringify(keys);
    const group = byKey.get(id);
    if (group === undefined) throw new RangeError('a histogram group is not in the main result');
    let counts = fresh.get(id);
    if (counts === undefined) {
      counts = new Array<bigint>(stmt.bins).fill(0n);
      fresh.set(id, counts);
      group.histograms = { ...group.histograms, [stmt.measure]: counts };
    }
    counts[Number(r[stmt.keyColumns])] = BigInt(Number(r[stmt.keyColumns + 1]));
  }
}
