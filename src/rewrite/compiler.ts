import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';

/**
 * Kysely set up only to compile SQL for DuckDB, never to run it (the
 * enclave runs it). DuckDB reads PostgreSQL's quoting and `$n` parameters,
 * so the PostgreSQL compiler fits; this is the one place that assumption
 * lives.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const duckdbCompiler = new Kysely<any>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});
