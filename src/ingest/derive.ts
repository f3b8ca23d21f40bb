import type { DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import type { DatasetRecipe } from './recipe.js';
import { ident } from './sql.js';
import { isUnnamed, typedName } from './stage.js';

/**
 * The two enclave tables of a dataset, written from the staged rows that no
 * check rejected. The derived table is where the privacy unit becomes
 * `unit_id` and where each unit's rows get their keyed random `row_rank`.
 * Neither statement needs the staged order, so both run without insertion
 * order and use both cores fully.
 */

/** The staged rows that are kept: every row without an entry in `veil_rejected`. */
const keptRows = `veil_stage s ANTI JOIN veil_rejected r ON s.rowid = r.veil_src_row`;

/**
 * The raw table: every kept row with its source columns in file order,
 * typed where the recipe says (the staged typed values), identifiers
 * included, and `src_row`, the row's position in the file.
 */
export function rawTableSql(recipe: DatasetRecipe, sourceColumns: readonly string[]): string {
  const select = sourceColumns
    .filter((name) => !isUnnamed(name))
    .map((name) =>
      recipe.rawTyped[name] === undefined
        ? `s.${ident(name)}`
        : `s.${ident(typedName(name))} AS ${ident(name)}`,
    );
  return `CREATE OR REPLACE TABLE ${ident(`${recipe.dataset}__raw`)} AS
    SELECT s.rowid AS src_row, ${select.join(', ')} FROM ${keptRows}`;
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
  await conn.run('SET preserve_insertion_order = false');
  await conn.run("SET force_compression = 'uncompressed'");
  try {
    await conn.run(statement);
  } finally {
    await conn.run("SET force_compression = 'auto'");
  }
}

/**
 * Writes the derived table (see derivedTableSql) for the salt, stored in its
 * ORDER BY (insertion order kept for this statement only).
 */
export async function writeDerivedTable(
  conn: DuckDBConnection,
  recipe: DatasetRecipe,
  salt: string,
): Promise<void> {
  await conn.run('SET preserve_insertion_order = true');
  try {
    await conn.run(derivedTableSql(recipe), { salt, rank_key: rankKey(salt) });
  } finally {
    await conn.run('SET preserve_insertion_order = false');
  }
}

/**
 * The key of the rank order, derived from the salt: 128 bits as 32 hex
 * characters, so that a record key of up to 23 bytes still fits md5's single
 * 64-byte block with it (the salt itself would take a block of its own).
 */
export function rankKey(salt: string): string {
  return createHash('sha256').update(`${salt}rank`).digest('hex').slice(0, 32);
}

/**
 * The derived table the gateway queries. `unit_id` is sha256(salt || unit
 * key). `row_rank` numbers a unit's rows 1..n in the order of
 * md5(rank key || record key), read as a 128-bit number, ties (a 2^-128
 * chance) broken by the record key itself. The rank key comes from the salt
 * alone and the record keys from the rows themselves, so the order is fixed
 * by the salt, not by the rows' order in the file nor by any query; without
 * the salt it cannot be predicted, which is all md5 is asked for here (a
 * keyed order, not collision resistance), at a fraction of sha256's cost.
 * The sha256 of unit_id is taken per row after the window: that costs about
 * what hashing each unit once and joining the ids back does, without a table
 * of units. Run with the named parameters `salt` and `rank_key` (see
 * rankKey).
 *
 * The rows are stored by row_rank, then in file order. Every query keeps
 * `row_rank <= maxContributions`; stored that way, the rows it drops sit in
 * row groups of their own, which DuckDB's zone maps skip without reading,
 * and in the others the filter is known to hold and costs nothing. At 1e7
 * rows this took a count by community from twice the plain count's time to
 * within a quarter of it, for about 4 s more ingest. Which rows are kept
 * does not change: storage order is not the keyed order, and no answer
 * depends on it (released rows are sorted by key).
 */
export function derivedTableSql(recipe: DatasetRecipe): string {
  const columns = recipe.derived.map((c) => `${c.sql} AS ${ident(c.name)}`).join(',\n      ');
  return `CREATE OR REPLACE TABLE ${ident(recipe.dataset)} AS
    SELECT sha256($salt || s.veil_unit_key) AS unit_id, CAST(s.veil_rank AS INTEGER) AS row_rank,
      ${columns}
    FROM (
      SELECT s.*, row_number() OVER (
        PARTITION BY s.veil_unit_key
        ORDER BY md5_number($rank_key || s.veil_record_key), s.veil_record_key
      ) AS veil_rank
      FROM (
        SELECT s.*, s.rowid AS veil_pos, ${recipe.unitKey} AS veil_unit_key,
          ${recipe.recordKey} AS veil_record_key
        FROM ${keptRows}
      ) s
    ) s
    ${recipe.lookups}
    ORDER BY row_rank, s.veil_pos`;
}
