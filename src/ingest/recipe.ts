import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * How one dataset goes from its CSV to the enclave tables, written as SQL
 * so that DuckDB does all row work in bulk.
 *
 * The CSV is staged once in the temporary table `veil_stage`, whose `rowid`
 * is the row's position in the file: the source columns the raw table keeps
 * as text, each `rawTyped` value of a column the file has (as
 * `veil_raw_<column>`) and each `staged` value. Every later step reads the
 * stage, never the CSV, and every value is computed there once. Later
 * expressions see the staged row as `s` and the `lookups` joined onto it.
 */
export interface DatasetRecipe {
  dataset: DatasetId;
  /** File name of the bundled source under <repo>/datasets. */
  bundledFile: string;
  /** Header names the source must have. */
  requiredColumns: readonly string[];
  /** Rejection reasons, in the order they are tested (after the shared `malformed_row`). */
  reasons: readonly string[];
  /** Creates any lookup tables the recipe joins (temporary, per connection). */
  prepare?: (conn: DuckDBConnection) => Promise<void>;
  /**
   * Typed versions of source columns: column -> expression over the CSV's
   * text columns. Computed once while staging (as `veil_raw_<column>`), then
   * read by the checks and written to the raw table in place of the text.
   */
  rawTyped: Readonly<Record<string, string>>;
  /** Other row values the checks or derived columns need: name -> expression, as rawTyped. */
  staged: Readonly<Record<string, string>>;
  /** The record's id over `s`, NULL when missing: it orders a unit's rows and finds copies. */
  recordKey: string;
  /** The privacy unit's key over `s`, kind-prefixed, before hashing. */
  unitKey: string;
  /** Joins onto the staged row `s` (e.g. a gazetteer), for the checks and the derived table. */
  lookups: string;
  /**
   * A row's rejection reason, NULL for a row that is kept: an expression over
   * `s`, the lookups and `veil_duplicate` (true for every copy of a record
   * key but its first in the file). It should name the cheap, common tests
   * first; every reason it returns must be in `reasons`.
   */
  reasonSql: string;
  /** The derived table's dimension and measure columns, in table order. */
  derived: readonly DerivedColumn[];
}

/** The datasets this gateway knows how to ingest. */
export type DatasetId = 'nyc311_street_flooding' | 'gulou_flooding';

/** One column of the derived table: its SQL over `s` and the lookups, and its kind. */
export interface DerivedColumn {
  name: string;
  sql: string;
  kind: 'dimension' | 'measure';
}

/** A dimension key column: always text, so group keys compare as strings. */
export function dimension(expr: string, name: string): DerivedColumn {
  return { name, sql: `CAST(${expr} AS VARCHAR)`, kind: 'dimension' };
}

/** A measure column: DOUBLE, and NULL for anything unknown, NaN or infinite. */
export function measure(expr: string, name: string): DerivedColumn {
  return {
    name,
    sql: `CAST(CASE WHEN isfinite(CAST(${expr} AS DOUBLE)) THEN ${expr} END AS DOUBLE)`,
    kind: 'measure',
  };
}

/**
 * True when trim() would leave the text as it is: pure ASCII (trim removes
 * only the Unicode space separators, and of ASCII only ' ') and no space at
 * either end. Checking this costs far less than trim's copy of the text, so
 * the expressions below trim only the rare fields that need it.
 */
function trimLeavesAsIs(column: string): string {
  return `(strlen(${column}) = length(${column})
    AND NOT prefix(${column}, ' ') AND NOT suffix(${column}, ' '))`;
}

/** The text trimmed, NULL when empty or missing. */
export function blankToNull(column: string): string {
  return `CASE WHEN ${trimLeavesAsIs(column)} THEN nullif(${column}, '')
    ELSE nullif(trim(${column}), '') END`;
}

/**
 * Strict 'YYYY-MM-DD HH:MM:SS' parsing of the trimmed text: NULL for anything
 * else, including impossible dates. strptime skips ASCII white space at both
 * ends by itself, so only text with other characters is trimmed first.
 */
export function strictTimestamp(column: string): string {
  const format = `'%Y-%m-%d %H:%M:%S'`;
  return `CASE WHEN strlen(${column}) = length(${column}) THEN try_strptime(${column}, ${format})
    ELSE try_strptime(trim(${column}), ${format}) END`;
}
