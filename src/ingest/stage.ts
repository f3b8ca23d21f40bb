import type { DuckDBConnection } from '@duckdb/node-api';
import type { DatasetRecipe } from './recipe.js';
import { ident } from './sql.js';

/**
 * The one pass over the CSV. Every later step of an ingest reads the staged
 * table instead, so the file is parsed once and each typed or derived row
 * value is computed once.
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
 * Reads the CSV into the temporary `veil_stage`, in one pass: the columns the
 * raw table keeps as text, each typed value the recipe names for a column the
 * file has, and the recipe's other staged values. rowid is the file position
 * (the pass keeps insertion order; it is the only one that must). Lines that
 * do not parse as a row of the header's width are left out and counted
 * (DuckDB keeps them in a rejects table, which is dropped here so that
 * nothing of their content outlives the ingest).
 */
export async function stageCsv(
  conn: DuckDBConnection,
  source: string,
  recipe: DatasetRecipe,
  header: readonly string[],
): Promise<number> {
  const text = header
    .filter((column) => recipe.rawTyped[column] === undefined && !isUnnamed(column))
    .map(ident);
  const typed = Object.entries(recipe.rawTyped)
    .filter(([column]) => header.includes(column))
    .map(([column, expr]) => `${expr} AS ${ident(typedName(column))}`);
  const staged = Object.entries(recipe.staged).map(([name, expr]) => `${expr} AS ${ident(name)}`);
  await conn.run('DROP TABLE IF EXISTS temp.veil_csv_errors');
  await conn.run('DROP TABLE IF EXISTS temp.veil_csv_scans');
  await conn.run('SET preserve_insertion_order = true');
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE veil_stage AS SELECT ${[...text, ...typed, ...staged].join(', ')}
     FROM ${csvScan}, store_rejects = true, rejects_table = 'veil_csv_errors',
       rejects_scan = 'veil_csv_scans')`,
    { source },
  );
  const reader = await conn.runAndReadAll('SELECT count(DISTINCT line) FROM veil_csv_errors');
  const malformed = Number(reader.getRowsJS()[0]![0]);
  await conn.run('DROP TABLE temp.veil_csv_errors');
  await conn.run('DROP TABLE temp.veil_csv_scans');
  return malformed;
}

/** Unnamed CSV columns (DuckDB names them column0, column00, ...) are not kept. */
export function isUnnamed(column: string): boolean {
  return /^column\d+$/.test(column);
}
