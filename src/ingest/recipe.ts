import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * How one dataset goes from its CSV to the enclave tables, written as SQL
 * so that DuckDB does all row work in bulk.
 *
 * The CSV is staged, as text, in the temporary table `veil_stage`, whose
 * `rowid` is the row's position in the file, together with each `rawTyped`
 * value of a column the file has, as `veil_raw_<column>`. A recipe's `checkedSql` selects
 * from it one narrow row per CSV row with:
 * - `veil_src_row`: the stage rowid;
 * - `veil_reason`: NULL for a row that is kept, else its rejection reason;
 * - `veil_record_key`: the record id that orders a unit's rows;
 * - `veil_unit_key`: the privacy unit's key, kind-prefixed, before hashing;
 * - every column of `derivedColumns`, already typed and named as in the
 *   derived table.
 * Keeping the identifiers out of that table keeps the later passes cheap.
 */
export interface DatasetRecipe {
  dataset: DatasetId;
  /** File name of the bundled source under <repo>/datasets. */
  bundledFile: string;
  /** Header names the source must have. */
  requiredColumns: readonly string[];
  /** Rejection reasons, in the order they are tested (after the shared `malformed_row`). */
  reasons: readonly string[];
  /** Creates any lookup tables `checkedSql` joins (temporary, per connection). */
  prepare?: (conn: DuckDBConnection) => Promise<void>;
  /** A SELECT over `veil_stage` producing the checked rows described above. */
  checkedSql: string;
  /**
   * Typed versions of source columns: column -> expression over the CSV's
   * text columns. Computed once while staging (as `veil_raw_<column>`), then
   * read by `checkedSql` and written to the raw table.
   */
  rawTyped: Readonly<Record<string, string>>;
  /** The derived table's dimension and measure columns, in table order. */
  derivedColumns: readonly string[];
}

/** The datasets this gateway knows how to ingest. */
export type DatasetId = 'nyc311_street_flooding' | 'gulou_flooding';

/** A dimension key column: always text, so group keys compare as strings. */
export function dimension(expr: string, name: string): string {
  return `CAST(${expr} AS VARCHAR) AS ${name}`;
}

/** A measure column: DOUBLE, and NULL for anything unknown, NaN or infinite. */
export function measure(expr: string, name: string): string {
  return `CAST(CASE WHEN isfinite(CAST(${expr} AS DOUBLE)) THEN ${expr} END AS DOUBLE) AS ${name}`;
}

/** Strict 'YYYY-MM-DD HH:MM:SS' parsing: NULL for anything else, including impossible dates. */
export function strictTimestamp(column: string): string {
  return `try_strptime(trim(${column}), '%Y-%m-%d %H:%M:%S')`;
}

/**
 * Rows whose key occurs more than once, with the file position of the first
 * copy. Few keys repeat, so joining this small table back costs far less
 * than a window over every row.
 */
export function repeatedKeysSql(from: string): string {
  return `SELECT veil_record_key, min(veil_src_row) AS veil_first_row FROM ${from}
    WHERE veil_record_key IS NOT NULL GROUP BY veil_record_key HAVING count(*) > 1`;
}
