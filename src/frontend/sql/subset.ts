/**
 * The names the SQL subset accepts. Everything else is refused, so this
 * list is the whole vocabulary a buyer's query can reach in DuckDB.
 */

/** Named level functions: `month(created)` means the dimension `created` at level `month`. */
export const levelFunctions: readonly string[] = ['year', 'quarter', 'month', 'week', 'day'];

/** Aggregates as DuckDB's parser names them (COUNT(*) is `count_star`). */
export const aggregateFunctions: readonly string[] = [
  'count_star',
  'count',
  'sum',
  'avg',
  'median',
];

/** Every function a query may call. */
export const allowedFunctions: ReadonlySet<string> = new Set([
  ...aggregateFunctions,
  'date_trunc',
  ...levelFunctions,
]);

/** A short list of what may be called, for refusal messages. */
export const allowedFunctionsText =
  'COUNT, SUM, AVG, MEDIAN, date_trunc and the level functions year, quarter, month, week and day';
