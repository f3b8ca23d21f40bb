import { existsSync } from 'node:fs';
import {
  DuckDBInstance,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBValue,
} from '@duckdb/node-api';
import { VeilError } from '../errors/registry.js';
import { hardenedDuckDbOptions } from '../frontend/sql/hardening.js';
import { enclaveFile } from '../ingest/paths.js';
import type { ProvenColumns } from '../query/checked.js';

/** Settings for the enclave's DuckDB instance; memory and threads bound what one query can take. */
export interface EnclaveOptions {
  dataDir: string;
  threads?: number;
  memoryLimit?: string;
  connections?: number;
  /** Milliseconds one statement may run before it is interrupted (default 10,000). */
  timeoutMs?: number;
}

/** Metadata the ingest wrote for one dataset. */
export interface DatasetMeta {
  dataset: string;
  dataVersion: string;
  rowsKept: number;
}

/**
 * The only handle on the raw records. The file is opened read-only with
 * external access off and configuration locked, so even SQL the gateway did
 * not mean to send cannot read files, load extensions or loosen settings.
 * Queries run on a small pool of connections so that a slow one does not
 * hold up the rest.
 */
export class Enclave {
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: ((c: DuckDBConnection) => void)[] = [];
  /** Statements run so far; lets tests prove a refused query ran nothing. */
  statementsRun = 0;
  private readonly statements = new StatementCache();

  private constructor(
    private readonly instance: DuckDBInstance,
    connections: DuckDBConnection[],
    readonly datasets: ReadonlyMap<string, DatasetMeta>,
    private readonly timeoutMs: number,
    /** Column names of each table, so a policy can be checked against what the enclave holds. */
    readonly columns: ReadonlyMap<string, ReadonlySet<string>>,
    /** What a scan at opening proved about each dataset's columns (see ProvenColumns). */
    readonly proven: ReadonlyMap<string, ProvenColumns>,
  ) {
    this.idle.push(...connections);
  }

  /** Opens `<dataDir>/enclave.duckdb`; it must have been ingested before. */
  static async open(opts: EnclaveOptions): Promise<Enclave> {
    const path = enclaveFile(opts.dataDir);
    if (!existsSync(path)) throw new Error(`no enclave at ${path}; run \`veil ingest\` first`);
    const instance = await DuckDBInstance.create(path, {
      threads: String(opts.threads ?? 2),
      memory_limit: opts.memoryLimit ?? '2GB',
      ...hardenedDuckDbOptions,
    });
    const conns: DuckDBConnection[] = [];
    for (let i = 0; i < (opts.connections ?? 4); i++) conns.push(await instance.connect());
    const meta = await conns[0]!.runAndReadAll(
      'SELECT dataset, data_version, rows_kept FROM veil_datasets ORDER BY dataset',
    );
    const datasets = new Map<string, DatasetMeta>();
    for (const [dataset, dataVersion, rowsKept] of meta.getRowsJS()) {
      datasets.set(String(dataset), {
        dataset: String(dataset),
        dataVersion: String(dataVersion),
        rowsKept: Number(rowsKept),
      });
    }
    const cols = await conns[0]!.runAndReadAll(
      'SELECT table_name, column_name, data_type FROM information_schema.columns',
    );
    const columns = new Map<string, Set<string>>();
    const types = new Map<string, [string, string][]>();
    for (const [table, column, type] of cols.getRowsJS()) {
      const set = columns.get(String(table)) ?? new Set<string>();
      columns.set(String(table), set.add(String(column)));
      types.set(String(table), [
        ...(types.get(String(table)) ?? []),
        [String(column), String(type)],
      ]);
    }
    const proven = new Map<string, ProvenColumns>();
    for (const dataset of datasets.keys()) {
      proven.set(dataset, await proveColumns(conns[0]!, dataset, types.get(dataset) ?? []));
    }
    return new Enclave(instance, conns, datasets, opts.timeoutMs ?? 10_000, columns, proven);
  }

  /** Runs one gateway-built statement with bound parameters and returns plain JS rows. */
  async run(sql: string, params: readonly unknown[]): Promise<unknown[][]> {
    const conn = await this.acquire();
    this.statementsRun++;
    let timedOut = false;
    let again: NodeJS.Timeout | undefined;
    // An interrupt that lands before DuckDB starts the statement is lost, so
    // once past the limit it is repeated until the statement gives up.
    const timer = setTimeout(() => {
      timedOut = true;
      conn.interrupt();
      again = setInterval(() => conn.interrupt(), 25);
    }, this.timeoutMs);
    try {
      const stmt = await this.statements.get(conn, sql);
      stmt.bind(params as DuckDBValue[]);
      const reader = await stmt.runAndReadAll();
      return reader.getRowsJS() as unknown[][];
    } catch (err) {
      if (timedOut) throw timeoutError(this.timeoutMs);
      throw new VeilError(
        'VEIL_ENCLAVE_FAILED',
        'the enclave could not run the query; nothing was charged',
        {
          cause: (err as Error).name,
        },
      );
    } finally {
      clearTimeout(timer);
      clearInterval(again);
      this.releaseConnection(conn);
    }
  }

  /** Runs arbitrary SQL on an enclave connection; exists for tests of the hardening only. */
  async rawForTest(sql: string): Promise<unknown[][]> {
    const conn = await this.acquire();
    try {
      return (await conn.runAndReadAll(sql)).getRowsJS() as unknown[][];
    } finally {
      this.releaseConnection(conn);
    }
  }

  close(): void {
    this.statements.clear();
    for (const c of this.idle) c.closeSync();
    this.idle.length = 0;
    this.instance.closeSync();
  }

  private acquire(): Promise<DuckDBConnection> {
    const c = this.idle.pop();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseConnection(c: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.idle.push(c);
  }
}

/**
 * The refusal for a statement cancelled at the time limit. It is raised
 * before any noise is drawn, so the query path releases the reservation.
 */
function timeoutError(limitMs: number): VeilError {
  return new VeilError(
    'VEIL_ENCLAVE_TIMEOUT',
    `the query ran past the enclave time limit of ${limitMs} ms and was cancelled; ` +
      'nothing was charged. Ask a narrower question or try again later',
    { limitMs },
  );
}

/**
 * Scans a dataset's table once for each column's NULLs and each floating
 * column's NaN and infinities. Run at opening, on the read-only file, so
 * the proof stays true for as long as the enclave is open.
 */
async function proveColumns(
  conn: DuckDBConnection,
  table: string,
  columns: [string, string][],
): Promise<ProvenColumns> {
  const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const floating = columns.filter(([, type]) => /^(DOUBLE|FLOAT|REAL)$/i.test(type));
  const parts = [
    ...columns.map(([c]) => `count(*) - count(${q(c)})`),
    ...floating.map(([c]) => `count(*) FILTER (WHERE NOT isfinite(${q(c)}))`),
  ];
  if (parts.length === 0) return { nullFree: new Set(), finite: new Set() };
  const reader = await conn.runAndReadAll(`SELECT ${parts.join(', ')} FROM ${q(table)}`);
  const counts = reader.getRowsJS()[0]!.map(Number);
  const nullFree = new Set(columns.filter((_c, i) => counts[i] === 0).map(([c]) => c));
  const finite = new Set(
    floating.filter((_c, i) => counts[columns.length + i] === 0).map(([c]) => c),
  );
  return { nullFree, finite };
}

/** Prepared statements kept per connection; the gateway's SQL shapes are few. */
const STATEMENTS_PER_CONNECTION = 200;

/**
 * Prepared statements by connection and SQL text. The rewrite binds every
 * value as a parameter, so one text serves every query of its shape; parsing
 * and planning it again each time cost about a third of a small query's
 * enclave time. Past the size, the oldest text of a connection leaves first.
 */
class StatementCache {
  private readonly byConnection = new Map<DuckDBConnection, Map<string, DuckDBPreparedStatement>>();

  async get(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
    let cache = this.byConnection.get(conn);
    if (cache === undefined) {
      cache = new Map();
      this.byConnection.set(conn, cache);
    }
    const kept = cache.get(sql);
    if (kept !== undefined) {
      cache.delete(sql);
      cache.set(sql, kept);
      return kept;
    }
    const stmt = await conn.prepare(sql);
    cache.set(sql, stmt);
    if (cache.size > STATEMENTS_PER_CONNECTION) {
      const [oldest, old] = cache.entries().next().value!;
      cache.delete(oldest);
      old.destroySync();
    }
    return stmt;
  }

  clear(): void {
    for (const cache of this.byConnection.values()) {
      for (const stmt of cache.values()) stmt.destroySync();
    }
    this.byConnection.clear();
  }
}
