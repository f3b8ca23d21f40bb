import type { DuckDBConnection } from '@duckdb/node-api';
import type { DatasetRecipe } from './recipe.js';

/**
 * The steps every dataset shares around its recipe: stage the CSV, check
 * the rows, write the raw and derived tables, count rejections. The derived
 * table is where the privacy unit becomes `unit_id` and where each unit's
 * rows get their keyed random `row_rank`.
 */

/** The read_csv call every step shares: the whole file as text, RFC 4180 quoting. */
const csvScan = `read_csv($source, header = true, all_varchar = true, delim = ',', quote = '"',
  escape = '"', ignore_errors = true`;

/**
 * Header names of the CSV, in file order, from DuckDB's sniffer alone (no
 * full read), so a file lacking a required column is refused before the
 * staging pass names that column.
 */
export async function csvHeader(conn: DuckDBConnection, source: string): Promise<string[]> {
  const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${csvScan})`, { source });
  return reader.getRowsJS().map(([name]) => String(name));
}

/** The staged name of a source column's typed value (see DatasetRecipe.rawTyped). */
export function typedName(column: string): string {
  return `veil_raw_${column}`;
}

/**
 * Reads the CSV into the temporary `veil_stage`, in one pass: every column
 * as text, plus each typed value the recipe names for a column the file has,
 * computed here once and reused by the checks and the raw table. rowid is
 * the file position. Lines that do not parse as a row of the header's width
 * are left out and counted (DuckDB keeps them in a rejects table, which is
 * dropped here so that nothing of their content outlives the ingest).
 */
export async function stageCsv(
  conn: DuckDBConnection,
  source: string,
  recipe: DatasetRecipe,
  header: readonly string[],
): Promise<number> {
  const typed = Object.entries(recipe.rawTyped)
    .filter(([column]) => header.includes(column))
    .map(([column, expr]) => `, ${expr} AS ${ident(typedName(column))}`);
  await conn.run('DROP TABLE IF EXISTS temp.veil_csv_errors');
  await conn.run('DROP TABLE IF EXISTS temp.veil_csv_scans');
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE veil_stage AS SELECT *${typed.join('')} FROM ${csvScan},
       store_rejects = true, rejects_table = 'veil_csv_errors', rejects_scan = 'veil_csv_scans')`,
    { source },
  );
  const reader = await conn.runAndReadAll('SELECT count(DISTINCT line) FROM veil_csv_errors');
  const malformed = Number(reader.getRowsJS()[0]![0]);
  await conn.run('DROP TABLE temp.veil_csv_errors');
  await conn.run('DROP TABLE temp.veil_csv_scans');
  return malformed;
}

/** Runs the recipe's checks into the temporary `veil_checked`. */
export async function checkRows(conn: DuckDBConnection, recipe: DatasetRecipe): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE veil_checked AS ${recipe.checkedSql}`);
}

/** Quotes an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The raw table: every kept row with its source columns in file order,
 * typed where the recipe says (the staged typed values), identifiers
 * included. Unnamed CSV columns (DuckDB names them column0, column00, ...)
 * are left out. Rejected rows are few, so they are removed by an anti-join.
 */
export function rawTableSql(recipe: DatasetRecipe, sourceColumns: readonly string[]): string {
  const select = sourceColumns
    .filter((name) => !/^column\d+$/.test(name))
    .map((name) =>
      recipe.rawTyped[name] === undefined
        ? ident(name)
        : `${ident(typedName(name))} AS ${ident(name)}`,
    );
  return `CREATE OR REPLACE TABLE ${ident(`${recipe.dataset}__raw`)} AS
    SELECT veil_stage.rowid AS src_row, ${select.join(', ')}
    FROM veil_stage ANTI JOIN (
      SELECT veil_src_row FROM veil_checked WHERE veil_reason IS NOT NULL
    ) rejected ON veil_stage.rowid = rejected.veil_src_row`;
}

/**
 * Runs the raw table's statement with compression off. The gateway never
 * queries that table (answers come from the derived one), and choosing a
 * compression for its wide free-text columns (names, addresses, call notes)
 * was most of the ingest's time: at 1e6 rows 2.7 s, against 1.0 s
 * uncompressed, for a file about twice as large. The setting is put back
 * even if the write fails.
 */
export async function writeRawTable(conn: DuckDBConnection, statement: string): Promise<void> {
  await conn.run("SET force_compression = 'uncompressed'");
  try {
    await conn.run(statement);
  } finally {
    await conn.run("SET force_compression = 'auto'");
  }
}

/**
 * The derived table the gateway queries. `unit_id` is sha256(salt || unit
 * key); `row_rank` numbers a unit's rows 1..n in the order of
 * sha256(salt || 'rank' || record key), so which rows survive `row_rank <= m`
 * is fixed by the salt alone, not by file order or by any query. A unit with
 * one row needs no ordering, so only rows of larger units are hashed for rank.
 * Run with the named parameter `salt`.
 */
export function derivedTableSql(recipe: DatasetRecipe): string {
  const columns = recipe.derivedColumns.map(ident).join(', ');
  return `CREATE OR REPLACE TABLE ${ident(recipe.dataset)} AS
    WITH kept AS (
      SELECT veil_unit_key, veil_record_key, ${columns}
      FROM veil_checked WHERE veil_reason IS NULL
    ),
    units AS (
      SELECT veil_unit_key, count(*) AS veil_unit_rows,
             sha256($salt || veil_unit_key) AS veil_unit_id
      FROM kept GROUP BY veil_unit_key
    ),
    joined AS (SELECT * FROM kept JOIN units USING (veil_unit_key)),
    ranked AS (
      SELECT *, 1 AS veil_row_rank FROM joined WHERE veil_unit_rows = 1
      UNION ALL BY NAME
      SELECT *, row_number() OVER (
        PARTITION BY veil_unit_id ORDER BY sha256($salt || 'rank' || veil_record_key)
      ) AS veil_row_rank
      FROM joined WHERE veil_unit_rows > 1
    )
    SELECT veil_unit_id AS unit_id, CAST(veil_row_rank AS INTEGER) AS row_rank, ${columns}
    FROM ranked`;
}

/** Rows read and rows rejected per reason, every reason listed (zero when none), in order. */
export async function countRows(
  conn: DuckDBConnection,
  recipe: DatasetRecipe,
): Promise<{ read: number; rejections: { reason: string; rows: number }[] }> {
  const reader = await conn.runAndReadAll(
    'SELECT veil_reason, count(*) FROM veil_checked GROUP BY veil_reason',
  );
  const counts = new Map(
    reader.getRowsJS().map(([r, n]) => [r === null ? null : String(r), Number(n)]),
  );
  for (const reason of counts.keys()) {
    if (reason !== null && !recipe.reasons.includes(reason)) {
      throw new Error(`the recipe gave a reason it does not declare: ${reason}`);
    }
  }
  let read = 0;
  for (const n of counts.values()) read += n;
  const rejections = recipe.reasons.map((reason) => ({ reason, rows: counts.get(reason) ?? 0 }));
  return { read, rejections };
}
