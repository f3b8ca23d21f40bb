import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Db } from './schema.js';

/**
 * Statements on the query path, built and compiled by Kysely once and then
 * run with new values. Building and compiling a query tree cost more than
 * SQLite took to run the ledger's small statements (about 35 us against
 * 13 us each), and a query crosses some twenty of them. The SQL is still
 * Kysely's, compiled by the store's own dialect, so any dialect can serve.
 */

const MARK = '\u0000veil-argument:';

/** Runs a prepared statement on a database or a transaction with these values. */
export type PreparedStatement<A, R> = (db: Db, args: A) => Promise<QueryResult<R>>;

/**
 * Wraps a query builder whose values come from `args`. The builder is called
 * once per dialect with stand-ins for the values: each compiles to a
 * parameter that is later replaced by the real value of the same name, so
 * every value still travels as a bound parameter, never as SQL text. The
 * builder may only pass the stand-ins through as values (no arithmetic on
 * them, no branching on them).
 */
export function prepared<A extends object, R>(
  build: (db: Db, args: A) => Compilable<R>,
): PreparedStatement<A, R> {
  const byDialect = new WeakMap<object, CompiledQuery<R>>();
  const standIns = new Proxy({} as A, { get: (_, name) => `${MARK}${String(name)}` });
  return (db, args) => {
    const adapter = db.getExecutor().adapter;
    let compiled = byDialect.get(adapter);
    if (compiled === undefined) {
      compiled = build(db, standIns).compile();
      byDialect.set(adapter, compiled);
    }
    const parameters = compiled.parameters.map((p) => valueFor(p, args));
    return db.executeQuery<R>({ ...compiled, parameters });
  };
}

function valueFor(parameter: unknown, args: object): unknown {
  if (typeof parameter !== 'string' || !parameter.startsWith(MARK)) return parameter;
  const name = parameter.slice(MARK.length);
  const value = (args as Record<string, unknown>)[name];
  if (value === undefined) throw new TypeError(`prepared statement needs a value for "${name}"`);
  return value;
}
