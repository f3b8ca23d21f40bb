import { listValue } from '@duckdb/node-api';
import { sql } from 'kysely';
import type { CheckedQuery } from '../query/checked.js';
import { histogramOver, type HistogramStatement } from './histogram.js';
import { cellAggregates, keptRows, keyExpr, measuresOf, type EnclaveStatement } from './rewrite.js';

/**
 * The enclave statements of the row of suppressed groups (docs/privacy.md,
 * section 5b). Which groups were suppressed is known only after the noisy
 * threshold, so the row cannot be a grouping set of the main statement:
 * it is a second statement over the main statement's kept rows (same rank
 * filter, filters, NULL keys and "other" labels) restricted to the rows
 * whose group is one of the suppressed ones, with one cell and no GROUP
 * BY. The distinct units are counted over the union of those rows, so a
 * unit in several suppressed groups counts once, as the row's sensitivity
 * of 1 needs.
 *
 * The suppressed groups travel as one bound parameter, a list of codes, so
 * the statement's text is the same whatever they are (one prepared
 * statement serves every such query) and no key is ever spliced into SQL.
 */

/**
 * A group's code: per key, `n` for NULL, else `v<bytes>:<key>` with the
 * key's UTF-8 length, concatenated. The length prefix makes the code
 * unambiguous whatever characters the keys hold.
 */
export function groupCode(keys: readonly (string | null)[]): string {
  return keys.map((k) => (k === null ? 'n' : `v${Buffer.byteLength(k, 'utf8')}:${k}`)).join('');
}

/** The same code computed in the enclave from a row's keys (strlen counts bytes). */
function codeExpr(q: CheckedQuery) {
  const parts = q.groupBy.map((g) => {
    const key = sql`cast(${keyExpr(g)} as varchar)`;
    const coded = sql`'v' || cast(strlen(${key}) as varchar) || ':' || ${key}`;
    return sql`(case when ${key} is null then 'n' else ${coded} end)`;
  });
  return sql.join(parts, sql` || `);
}

/** The kept rows of the suppressed groups, given by their codes. */
function suppressedRows(q: CheckedQuery, codes: readonly string[]) {
  const list = listValue([...codes]);
  return keptRows(q).where(sql<boolean>`${codeExpr(q)} in (select unnest(${list}))`);
}

/**
 * The row's true values: rows, distinct units, and per measure the grid sum
 * and non-NULL count, in the main statement's column order after its keys
 * (here none). Always one result row, zeros when no row matches.
 */
export function otherStatement(q: CheckedQuery, codes: readonly string[]): EnclaveStatement {
  const measures = measuresOf(q);
  const compiled = suppressedRows(q, codes)
    .select(cellAggregates(q, measures, { units: true }))
    .compile();
  return { sql: compiled.sql, params: compiled.parameters, keyColumns: 0, measures };
}

/** The row's histogram of one measure, for its quantiles: one bin count per result row. */
export function otherHistogramStatement(
  q: CheckedQuery,
  measure: string,
  codes: readonly string[],
): HistogramStatement {
  return histogramOver(q, measure, suppressedRows(q, codes), [], []);
}

/**
 * The fragment only the row's statements hold (no other statement of a query
 * reads a list parameter), so an audit entry's rewritten SQL tells whether
 * the row was asked for, whatever policy the text was built under.
 */
const OTHER_ROW_MARKER = 'in (select unnest(';

/** True when an audit entry's rewritten SQL holds the row's statement (for a policy dry run). */
export function hasOtherStatement(rewrittenSql: string | null): boolean {
  return rewrittenSql?.includes(OTHER_ROW_MARKER) === true;
}
