import type { DuckDBConnection } from '@duckdb/node-api';
import type { DatasetRecipe } from './recipe.js';

/**
 * The row checks. They write two small temporary tables, both keyed by the
 * staged row's file position (`veil_src_row`): `veil_copies`, the rows that
 * repeat an earlier row's record key, and `veil_rejected`, every rejected
 * row with its reason. Rejected rows are a few percent, so the raw and
 * derived tables keep the rest with an anti-join on this small table, and
 * no per-row verdict is ever written for the kept rows.
 */

/**
 * Finds the later copies of repeated record keys. Grouping every key as text
 * is the costly part, so the keys are first grouped by their 64-bit hash, and
 * only rows whose hash repeats (the copies, and the rare collision) are then
 * compared as text: the result is exact whatever the hash.
 */
export async function findCopies(conn: DuckDBConnection, recipe: DatasetRecipe): Promise<void> {
  await conn.run('SET preserve_insertion_order = false');
  await conn.run(`CREATE OR REPLACE TEMP TABLE veil_copies AS
    WITH keyed AS (
      SELECT s.rowid AS veil_src_row, ${recipe.recordKey} AS veil_key
      FROM veil_stage s WHERE ${recipe.recordKey} IS NOT NULL
    ),
    repeated AS (SELECT hash(veil_key) AS veil_hash FROM keyed GROUP BY 1 HAVING count(*) > 1),
    candidates AS (
      SELECT veil_src_row, veil_key FROM keyed SEMI JOIN repeated ON hash(veil_key) = veil_hash
    )
    SELECT veil_src_row FROM (
      SELECT veil_src_row, min(veil_src_row) OVER (PARTITION BY veil_key) AS veil_first_row
      FROM candidates
    ) WHERE veil_src_row <> veil_first_row`);
}

/** Writes `veil_rejected`: each rejected row's position and reason. */
export async function rejectRows(conn: DuckDBConnection, recipe: DatasetRecipe): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE veil_rejected AS
    SELECT veil_src_row, veil_reason FROM (
      SELECT s.rowid AS veil_src_row, ${recipe.reasonSql} AS veil_reason
      FROM veil_stage s
      LEFT JOIN (SELECT veil_src_row, true AS veil_duplicate FROM veil_copies) copy
        ON copy.veil_src_row = s.rowid
      ${recipe.lookups}
    ) WHERE veil_reason IS NOT NULL`);
}

/** Rows read and rows rejected per reason, every reason listed (zero when none), in order. */
export async function countRows(
  conn: DuckDBConnection,
  recipe: DatasetRecipe,
): Promise<{ read: number; rejections: { reason: string; rows: number }[] }> {
  const staged = await conn.runAndReadAll('SELECT count(*) FROM veil_stage');
  const read = Number(staged.getRowsJS()[0]![0]);
  const reader = await conn.runAndReadAll(
    'SELECT veil_reason, count(*) FROM veil_rejected GROUP BY veil_reason',
  );
  const counts = new Map(reader.getRowsJS().map(([r, n]) => [String(r), Number(n)]));
  for (const reason of counts.keys()) {
    if (!recipe.reasons.includes(reason)) {
      throw new Error(`the recipe gave a reason it does not declare: ${reason}`);
    }
  }
  const rejections = recipe.reasons.map((reason) => ({ reason, rows: counts.get(reason) ?? 0 }));
  return { read, rejections };
}
